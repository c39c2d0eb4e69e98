"""Import every domain's models so metadata (Alembic, create_all) sees all tables."""

from .agencies.models import Department, StaffMember  # noqa: F401
from .alerts.models import AlertSubscriber, AlertSubscription  # noqa: F401
from .complaints.models import (  # noqa: F401
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintPhoto,
    LocationCheck,
    Reporter,
    StagedUpload,
    SubmissionKey,
    Support,
)
from .geo.models import Region, WaterBody  # noqa: F401
from .imports.models import ImportJob  # noqa: F401
from .notify.models import OutboxMessage  # noqa: F401
from .open311.models import ApiKey  # noqa: F401
from .outfalls.models import (  # noqa: F401
    Approval,
    ApprovalDocument,
    Entity,
    FormerCode,
    MonitoringRecord,
    Outfall,
    OutfallResponsibility,
    RemediationEvent,
    RemediationMilestone,
    RemediationPlan,
)
from .queue.models import (  # noqa: F401
    CalendarOverride,
    CalendarYear,
    ExtensionRequest,
    Pause,
    ResponseTemplate,
    RoutingRule,
)
from .remediation.models import (  # noqa: F401
    ProgressCell,
    ProgressMonth,
    RemediationDocument,
    RemediationTarget,
    SignoffStep,
)
