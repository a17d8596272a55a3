from django.urls import include, path

from . import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.MyProgrammeView.as_view(), name="my_programme"),
    path("me/quotes/", views.MyQuotesView.as_view(), name="my_quotes"),
    path("me/quotes/withdraw/", views.QuoteConsentWithdrawView.as_view(), name="quote_consent_withdraw"),
    path(
        "sign-in/link/",
        include(
            [
                path("", views.SignInLinkRequestView.as_view(), name="sign_in_link_request"),
                path("sent/", views.SignInLinkSentView.as_view(), name="sign_in_link_sent"),
                path("use/", views.SignInLinkUseView.as_view(), name="sign_in_link_use"),
            ]
        ),
    ),
]
