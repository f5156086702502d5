"""Who may see which of the store's media, on a server that several accounts share.

Conventions:
- An admin may see every object of the store (they build the campaigns, adjudicate and review).
- Any other account may see an object (dataset, video_id, object_id) only when one of its instances
  is in a campaign whose annotators (`campaign_members`) include the account: in either round, open
  or finished (the revision page shows a finished campaign's clips), and whether or not that
  instance is in the account's own queue (the annotators of a campaign see the same videos).
- The answer is one store read: a single EXISTS statement, whatever the number of campaigns. It
  follows the store's indexes: the video by its unique (dataset, video_id), the object by its unique
  (video_pk, object_id), the object's instances by `instances.object_pk`, and the assignments by
  the leading (campaign_pk, instance_pk) of their primary key, for the account's campaigns. Those
  are read from `campaign_members`, whose key leads with campaign_pk, so that small table (one row
  per campaign and annotator) is scanned for the account. SQLite 3.40's plan: index searches of
  videos, objects, instances and assignments, one scan of campaign_members.
- The question does not tell an unknown object from a forbidden one (both are False), so a caller
  that refuses can give a stranger the same answer for both.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from refcat.annotate.accounts import User
from refcat.store.database import Store
from refcat.store.schema import AssignmentRow, CampaignMemberRow, InstanceRow, ObjectRow, VideoRow

__all__ = ["may_view_object"]


def may_view_object(store: Store, user: User, dataset: str, video_id: str, object_id: int) -> bool:
    """Whether `user` may see the object `object_id` of video `dataset`/`video_id` (module doc).
    True for an admin without reading the store (whether the object exists is then the caller's
    question); otherwise one statement, False for an object the store lacks."""
    if user.is_admin:
        return True
    objects_instances = (
        select(InstanceRow.id)
        .join(ObjectRow, InstanceRow.object_pk == ObjectRow.id)
        .join(VideoRow, ObjectRow.video_pk == VideoRow.id)
        .where(VideoRow.dataset == dataset, VideoRow.video_id == video_id, ObjectRow.object_id == object_id)
    )
    their_campaigns = select(CampaignMemberRow.campaign_pk).where(CampaignMemberRow.user_pk == user.id)
    shared = exists().where(
        AssignmentRow.campaign_pk.in_(their_campaigns), AssignmentRow.instance_pk.in_(objects_instances)
    )
    with store.session() as session:
        return bool(session.scalar(select(shared)))
