"""The researcher's page of personal API tokens (``/research/tokens/``): make one, see it once, revoke it."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from studies.permissions import researcher_required

from .models import ApiToken
from .services import api_token_create, api_token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80, help_text=gettext_lazy("What the token is for, e.g. the script's name."))
    days = forms.TypedChoiceField(
        label=gettext_lazy("Valid for"), coerce=int, initial=90,
        choices=[(30, gettext_lazy("30 days")), (90, gettext_lazy("90 days")), (365, gettext_lazy("365 days"))],
    )


@researcher_required
def token_list(request):
    new_key = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = api_token_create(user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"])
        new_key, form = created.key, TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    response = render(request, "apitokens/token_list.html", {"form": form, "tokens": tokens, "new_key": new_key})
    if new_key:
        response["Cache-Control"] = "no-store"
    return response


@researcher_required
@require_POST
def token_revoke(request, pk: int):
    token = api_token_revoke(user=request.user, token_id=pk)
    if token is not None:
        messages.info(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("apitokens:token_list")
