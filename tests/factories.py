"""factory_boy factories for the survey models."""

import factory

from studies.instruments import instrument_version_default
from studies.models import Respondent, School, SchoolClass, Study, Wave
from surveys.access_codes import generate_access_code
from surveys.models import AccessCode, Response, Score


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


class ScoreFactory(factory.django.DjangoModelFactory):
    """A stored score with the values a test needs (not computed: ``surveys.scores.scores_write`` computes them)."""

    class Meta:
        model = Score

    response = factory.SubFactory(ResponseFactory, status="submitted")
    values = factory.LazyFunction(dict)
    instrument_version = "1"


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
        model = "studies.Membership"

    user = factory.SubFactory(UserFactory)
    role = "researcher"
    study = factory.LazyAttribute(
        lambda m: m.school_class.school.study if m.school_class else (m.school.study if m.school else StudyFactory())
    )
    school = factory.LazyAttribute(lambda m: m.school_class.school if m.school_class else None)
    school_class = None


class SafeguardingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "safeguarding.SafeguardingRule"

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


# --- staff sign-in: a confirmed TOTP device, and a session that passed the second factor ----------


def totp_device(user, *, confirmed: bool = True):
    """The user's authenticator app (one per user in tests); ``totp_now(device)`` gives its current code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()
    return device or TOTPDevice.objects.create(user=user, name="test app", confirmed=confirmed)


def totp_now(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):0{device.digits}d}"


def otp_verify_session(client, user) -> None:
    """Mark a test client's signed-in session as having passed the second factor (as django_otp.login does)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()


def force_login_password_only(client, user) -> None:
    """Sign a test client in with the password step only (``client.force_login`` also passes the second factor)."""
    from django.test import Client

    Client._force_login_password_only(client, user)
