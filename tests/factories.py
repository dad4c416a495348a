"""factory_boy factories for the survey models."""

import factory

from surveys.access_codes import generate_access_code
from surveys.instruments import instrument_version_default
from surveys.models import AccessCode, Respondent, Response, School, SchoolClass, Study, Wave


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"study-{n}")
    name = factory.LazyAttribute(lambda study: f"Study {study.code}")


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"2026-{n}")
    instrument = factory.LazyFunction(instrument_version_default)


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"S{n}")


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    code = factory.Sequence(lambda n: f"G7-{n}")


class RespondentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Respondent

    school_class = factory.SubFactory(SchoolClassFactory)
    study = factory.LazyAttribute(lambda respondent: respondent.school_class.school.study)
    pid = factory.Sequence(lambda n: f"P{n:07d}")
    seat_number = factory.Sequence(lambda n: n % 50 + 1)


class AccessCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessCode

    respondent = factory.SubFactory(RespondentFactory)
    wave = factory.SubFactory(WaveFactory, study=factory.SelfAttribute("..respondent.study"))
    code = factory.LazyFunction(generate_access_code)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    respondent = factory.SubFactory(RespondentFactory)
    wave = factory.SubFactory(WaveFactory, study=factory.SelfAttribute("..respondent.study"))
    school_class = factory.SelfAttribute("respondent.school_class")
    instrument_version = factory.SelfAttribute("wave.instrument.version")
