"""Example answers shown in the OpenAPI document (/docs)."""

from __future__ import annotations

from typing import Any, Final

_METRICS: Final = {
    "activityMetrics": {
        "xpEarned": 12.5,
        "totalQuestions": 8,
        "correctQuestions": 6,
        "masteredUnits": 1,
    },
    "timeSpentMetrics": {
        "activeSeconds": 1800,
        "inactiveSeconds": 120,
        "wasteSeconds": 60,
        "unknownSeconds": 0,
        "antiPatternSeconds": 0,
    },
}

ACTIVITY_EXAMPLE: Final[dict[str, Any]] = {
    "studentId": "stu-77",
    "email": None,
    "startDate": "2026-03-02",
    "endDate": "2026-03-08",
    "timezone": "America/New_York",
    "facts": {"2026-03-03": {"Math": {**_METRICS, "apps": {"Nice Academy": _METRICS}}}},
}

WEEKLY_EXAMPLE: Final[dict[str, Any]] = {
    "studentId": "stu-77",
    "email": None,
    "weekStart": "2026-03-02",
    "weekEnd": "2026-03-08",
    "timezone": "Asia/Tokyo",
    "facts": {
        "2026-03-03": [
            {
                "eventId": "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc501",
                "eventType": "ActivityEvent",
                "eventTime": "2026-03-02T23:30:00Z",
                "subject": "Math",
                "app": "Nice Academy",
                "courseId": "https://app.example/courses/algebra",
                "courseName": "Algebra",
                "activityId": "https://app.example/activities/quiz-2",
                "activityName": "Unit 2 Quiz",
                "metrics": {"xpEarned": -5, "totalQuestions": 8, "correctQuestions": 1},
                "wasteBySubType": {},
            }
        ]
    },
}

ENROLLMENT_EXAMPLE: Final[dict[str, Any]] = {
    "studentId": "stu-77",
    "email": None,
    "courseId": "https://app.example/courses/algebra",
    "startDate": None,
    "endDate": None,
    "timezone": "UTC",
    "events": 42,
    **_METRICS,
}
