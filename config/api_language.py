"""The API's language: the request's ``Accept-Language``, English when it names none we have.

The pages follow the user's choice (cookie, then ``Accept-Language``, then
Chinese, Django's ``LocaleMiddleware``). A script calling ``/api/`` rarely
sends the header and should not get Chinese error messages by surprise, so
for the API only the header counts and the default is English. Placed after
``LocaleMiddleware``; the reply's ``Content-Language`` says which was used.
"""

from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

API_PREFIX = "/api/"
API_DEFAULT_LANGUAGE = "en"


def api_language(accept_language: str) -> str:
    """The first language of the header that the site has (``zh``, ``zh-CN`` -> ``zh-hans``), else English."""
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(_variant(code))
        except LookupError:
            continue
    return API_DEFAULT_LANGUAGE


def _variant(code: str) -> str:
    code = code.lower()
    return "zh-hans" if code in ("zh", "zh-cn", "zh-sg", "zh-hans-cn") else code


class ApiLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            language = api_language(request.headers.get("Accept-Language", ""))
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
