import re

from django import forms
from django.utils.translation import gettext_lazy as _


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    close = forms.BooleanField(label=_("Close the alert (no further follow-up needed)"), required=False)


class ConsentDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("given", _("given")), ("refused", _("refused")), ("link", _("guardian link"))]
    )


class StudentsForm(forms.Form):
    """One student per line: a seat number, then an optional display name (kept inside the school)."""

    students = forms.CharField(
        label=_("Students (one per line: seat number, then a name if you wish)"),
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "1 小明\n2 小红\n3"}),
        max_length=20000,
    )

    def clean_students(self) -> list[tuple[int | None, str]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["students"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            match = re.fullmatch(r"(\d{1,4})?[\s,;，、]*(.*)", line)
            seat, name = match.group(1), match.group(2).strip()
            if seat is None and not name:
                raise forms.ValidationError(_("Line %(n)s: give a seat number or a name.") % {"n": number})
            rows.append((int(seat) if seat else None, name))
        if not rows:
            raise forms.ValidationError(_("Give at least one student."))
        return rows


class OneTimeCodeForm(forms.Form):
    """The six digits an authenticator app shows (spaces allowed, as apps group them)."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self):
        token = re.sub(r"\s", "", self.cleaned_data["token"])
        if not re.fullmatch(r"\d{6,8}", token):
            raise forms.ValidationError(_("Enter the 6 digits shown by the app."))
        return token
