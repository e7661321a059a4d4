"""The synthetic SME world behind the sandbox data sources.

``generate_world(n, seed)`` builds enterprises, people, relationships, a monthly panel and the
judicial, bureau and registry records from one latent financial-health process per enterprise,
with seeded fraud patterns and a true 12-month default outcome. See docs/synthetic-world.md.
"""

from puhui.datahub.world.generator import DEFAULT_AS_OF, generate_world
from puhui.datahub.world.model import FRAME_NAMES, World
from puhui.datahub.world.params import WorldParams
from puhui.datahub.world.stats import observed_features, reference_auc, world_stats

__all__ = [
    "DEFAULT_AS_OF",
    "FRAME_NAMES",
    "World",
    "WorldParams",
    "generate_world",
    "observed_features",
    "reference_auc",
    "world_stats",
]
