"""The Caliper 1.2 vocabulary: which actions each event type allows, and in which profiles.

Facts from the IMS reference sensor (see ../shared/CALIPER-ACTIONS.md), plus
Timeback's own profile.
"""

from __future__ import annotations

from typing import Final

TIMEBACK_PROFILE: Final = "TimebackProfile"
TIMEBACK_ACTIONS: Final[dict[str, str]] = {
    "ActivityEvent": "Completed",
    "TimeSpentEvent": "SpentTime",
}

ALL_ACTIONS: Final = frozenset(
    """Abandoned Activated Accepted Added Archived Attached Bookmarked ChangedResolution
    ChangedSize ChangedSpeed ChangedVolume Classified ClosedPopout Commented Completed Copied
    Created Deactivated Declined Deleted Described DisabledClosedCaptioning Disliked Downloaded
    EnabledClosedCaptioning Ended EnteredFullScreen ExitedFullScreen ForwardedTo Graded Hid
    Highlighted Identified JumpedTo Launched Liked Linked LoggedIn LoggedOut MarkedAsRead
    MarkedAsUnread Modified Muted NavigatedTo OpenedPopout OptedIn OptedOut Paused Posted Printed
    Published Questioned Ranked Recommended Removed Replied Reset Restarted Restored Resumed
    Retrieved Reviewed Returned Rewound Saved Searched Sent Shared Showed Skipped Started
    Submitted Subscribed Tagged TimedOut Unmuted Unpublished Unsubscribed Uploaded Used
    Viewed""".split()
)

_MEDIA_ACTIONS: Final = """ChangedResolution ChangedSize ChangedSpeed ChangedVolume ClosedPopout
    DisabledClosedCaptioning EnabledClosedCaptioning Ended EnteredFullScreen ExitedFullScreen
    ForwardedTo JumpedTo Muted OpenedPopout Paused Resumed Restarted Started Unmuted"""
_RESOURCE_ACTIONS: Final = """Archived Copied Created Deleted Described Downloaded Modified
    Printed Published Restored Retrieved Saved Unpublished Uploaded"""

# event type -> (allowed actions, profiles that include the type)
_TABLE: Final[dict[str, tuple[str, str]]] = {
    "AnnotationEvent": ("Bookmarked Highlighted Shared Tagged", "AnnotationProfile GeneralProfile"),
    "AssessmentEvent": (
        "Paused Restarted Resumed Started Submitted",
        "AssessmentProfile GeneralProfile",
    ),
    "AssessmentItemEvent": ("Completed Skipped Started", "AssessmentProfile GeneralProfile"),
    "AssignableEvent": (
        "Activated Completed Deactivated Started Submitted",
        "AssignableProfile GeneralProfile",
    ),
    "FeedbackEvent": ("Commented Ranked", "FeedbackProfile"),
    "ForumEvent": ("Subscribed Unsubscribed", "ForumProfile GeneralProfile"),
    "GradeEvent": ("Graded", "GeneralProfile GradingProfile"),
    "MediaEvent": (_MEDIA_ACTIONS, "GeneralProfile MediaProfile"),
    "MessageEvent": ("MarkedAsRead MarkedAsUnread Posted", "ForumProfile GeneralProfile"),
    "NavigationEvent": (
        "NavigatedTo",
        "AssessmentProfile AssignableProfile ForumProfile GeneralProfile MediaProfile "
        "ReadingProfile SurveyProfile",
    ),
    "QuestionnaireEvent": ("Completed Started Submitted", "SurveyProfile"),
    "QuestionnaireItemEvent": ("Started Skipped Completed Submitted", "SurveyProfile"),
    "ResourceManagementEvent": (
        _RESOURCE_ACTIONS,
        "GeneralProfile ResourceManagementProfile SurveyProfile",
    ),
    "SearchEvent": ("Searched", "GeneralProfile SearchProfile"),
    "SessionEvent": ("LoggedIn LoggedOut TimedOut", "GeneralProfile SessionProfile"),
    "SurveyEvent": ("OptedIn OptedOut", "SurveyProfile"),
    "SurveyInvitationEvent": ("Accepted Declined Sent", "SurveyProfile"),
    "ThreadEvent": ("MarkedAsRead MarkedAsUnread", "ForumProfile GeneralProfile"),
    "ToolLaunchEvent": ("Launched Returned", "GeneralProfile ToolLaunchProfile"),
    "ToolUseEvent": ("Used", "GeneralProfile ToolUseProfile"),
    "ViewEvent": (
        "Viewed",
        "AnnotationProfile AssessmentProfile AssignableProfile ForumProfile GeneralProfile "
        "GradingProfile MediaProfile ReadingProfile SurveyProfile",
    ),
}

EVENT_ACTIONS: Final[dict[str, frozenset[str]]] = {
    "Event": ALL_ACTIONS,
    **{event: frozenset(actions.split()) for event, (actions, _) in _TABLE.items()},
}
EVENT_PROFILES: Final[dict[str, frozenset[str]]] = {
    "Event": frozenset({"GeneralProfile"}),
    **{event: frozenset(profiles.split()) for event, (_, profiles) in _TABLE.items()},
}
CALIPER_PROFILES: Final = frozenset().union(*EVENT_PROFILES.values())
KNOWN_PROFILES: Final = CALIPER_PROFILES | {TIMEBACK_PROFILE}
