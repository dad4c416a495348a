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


# --- schools: users, roles, safeguarding rules ---------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@school.example")
    password = factory.django.Password("pw-for-tests")


class MembershipFactory(factory.django.DjangoModelFactory):
    """A role; a teacher's names a class (the school follows), a school role names a school."""

    class Meta:
        model = "schools.Membership"

    user = factory.SubFactory(UserFactory)
    role = "researcher"
    study = factory.LazyAttribute(
        lambda m: m.school_class.school.study if m.school_class else (m.school.study if m.school else StudyFactory())
    )
    school = factory.LazyAttribute(lambda m: m.school_class.school if m.school_class else None)
    school_class = None


class SafeguardingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "schools.SafeguardingRule"

    study = factory.SubFactory(StudyFactory)
    name = "depression score"
    source = "score"
    code = "dep"
    threshold = 20


class AnalysisRunFactory(factory.django.DjangoModelFactory):
    """An analysis run (analysis app); status and data_changed_at as a test needs them."""

    class Meta:
        model = "analysis.AnalysisRun"

    wave = factory.SubFactory(WaveFactory)
    status = "succeeded"
    parameters = factory.LazyFunction(dict)
    instrument_version = factory.SelfAttribute("wave.instrument.version")
