"""The safeguarding alert in the reader's language: the e-mail (subject and body) and the counsellor's queue."""

from django.core import mail
from django.urls import reverse
from django.utils import translation

from safeguarding import services
from safeguarding.models import Alert
from tests.school_world import login

RULES = [{"rule": 1, "name": "Depression score 24 or more", "code": "dep", "threshold": 24.0}]


def _alert(world):
    return Alert.objects.create(
        study=world.study, school=world.class_a1.school, school_class=world.class_a1, respondent=world.kids_a1[0],
        wave=world.wave, rules=RULES,
    )


def test_the_email_is_chinese_throughout(world):
    alert = _alert(world)
    with translation.override("zh-hans"):
        assert services.alert_notify(alert=alert) == 1
    [message] = mail.outbox
    assert message.subject == "有学生需要跟进"
    assert "触发了安全预警规则" in message.body and "请在心理老师的预警列表中确认此预警" in message.body
    assert "抑郁总分 ≥ 24" in message.body and "Kid1" in message.body
    assert "Please acknowledge" not in message.body and "met a safeguarding rule" not in message.body


def test_the_email_in_english(world):
    alert = _alert(world)
    with translation.override("en"):
        services.alert_notify(alert=alert)
    assert "dep at or above 24 (Depression score 24 or more)" in mail.outbox[0].body


def test_rules_on_the_queue_in_chinese(client, world):
    alert = _alert(world)
    login(client, world.users["counsellor"])
    for url in (reverse("schools:alert_list"), reverse("schools:alert_detail", args=[alert.pk])):
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "抑郁总分 ≥ 24" in body, url
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "dep at or above 24" in body, url
