from django.urls import include, path

from . import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.MyProgrammeView.as_view(), name="my_programme"),
    path("me/quotes/", views.MyQuotesView.as_view(), name="my_quotes"),
    path("me/calendar.ics", views.MyCalendarView.as_view(), name="my_calendar"),
    path("me/calendar/feed/", views.CalendarFeedManageView.as_view(), name="calendar_feed_manage"),
    path("me/calendar/feed/off/", views.CalendarFeedRevokeView.as_view(), name="calendar_feed_revoke"),
    # A calendar program's subscription: no sign-in, the token is the key (common.logging redacts it).
    path("calendar/<str:token>.ics", views.CalendarFeedView.as_view(), name="calendar_feed"),
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
