"""Project-wide middleware: personal pages kept out of shared caches.

(Cohort URLs are guarded by cohorts.middleware.CohortAccessMiddleware.)
"""

from django.utils.cache import patch_cache_control

# Survey links (surveys/urls.py): the URL itself is a participant's key, and no one signs in.
SURVEY_PATH_PREFIX = "/s/"


class PrivatePagesNoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user and every survey
    page, so that no shared cache (a trust's proxy) or back-forward cache keeps personal data.

    Anonymous public pages keep what their views send, and static files never get here: WhiteNoise
    answers them earlier with long public caching, right for fingerprinted files.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(SURVEY_PATH_PREFIX) or request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
