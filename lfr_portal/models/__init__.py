from .accounts import OfficerProfile, Rank, Role
from .accuracy import AccuracySuspension, CalibrationRecord, OverdueAlertFlag
from .alerts import Adjudication, Alert, AlertCropPending, Outcome
from .audit import AuditCheckpoint, AuditEvent, AuditPrunedLeaf, CheckpointKind
from .deployments import (
    REQUIRED_DOCUMENTS,
    REQUIRED_DOCUMENTS_EU,
    Camera,
    CameraGap,
    CameraState,
    Deployment,
    DeploymentCamera,
    DeploymentDocument,
    DeploymentStatus,
    DocumentKind,
    Engine,
    UseCase,
)
from .field import LeafletRecord, SignageRecord
from .permissions import DeploymentGroupObjectPermission, DeploymentUserObjectPermission
from .retention import AlertHold, DeletionRecord, PendingFileDeletion, RetentionCategory
from .system import WorkerHeartbeat
from .watchlists import (
    EnrolmentState,
    EntryCategory,
    EntryReference,
    EntryStatus,
    Watchlist,
    WatchlistEntry,
    WatchlistReferenceRecord,
    WatchlistStatus,
)

__all__ = [
    "AccuracySuspension",
    "CalibrationRecord",
    "OverdueAlertFlag",
    "REQUIRED_DOCUMENTS",
    "REQUIRED_DOCUMENTS_EU",
    "Adjudication",
    "AlertHold",
    "DeletionRecord",
    "RetentionCategory",
    "Alert",
    "AlertCropPending",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditPrunedLeaf",
    "CheckpointKind",
    "Camera",
    "CameraGap",
    "CameraState",
    "Deployment",
    "DeploymentCamera",
    "DeploymentDocument",
    "DeploymentGroupObjectPermission",
    "DeploymentStatus",
    "DeploymentUserObjectPermission",
    "DocumentKind",
    "Engine",
    "EnrolmentState",
    "EntryCategory",
    "EntryReference",
    "EntryStatus",
    "LeafletRecord",
    "OfficerProfile",
    "PendingFileDeletion",
    "Outcome",
    "Rank",
    "Role",
    "SignageRecord",
    "UseCase",
    "Watchlist",
    "WatchlistEntry",
    "WatchlistReferenceRecord",
    "WatchlistStatus",
    "WorkerHeartbeat",
]
