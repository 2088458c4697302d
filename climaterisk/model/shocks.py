"""The common shocks of a portfolio: regional events that strike several sites at once.

:class:`CommonGroup` is one region's events of one hazard, with the sites they can strike and the
links each struck site suffers; :class:`ShockTable` holds all groups of a portfolio as flat arrays
for drawing them together. :mod:`climaterisk.model.compile` builds the groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class CommonGroup:
    """Regional events of one hazard in one region (a common shock).

    Regional events arrive as a Poisson process of ``rate`` [events/yr]; each event strikes
    each of the ``sites`` independently with probability ``footprint[j]`` (the site's own, or the
    region's); a struck site suffers one event on every link in ``site_links[j]``. With a
    ``correlation`` rho > 0 the severities of the sites struck by one regional event share a
    factor: each standard normal behind a damage or downtime is ``sqrt(rho) F + sqrt(1 - rho) e``
    with ``F`` drawn once per regional event (one for damage, one for downtime).
    """

    region: str
    hazard: str
    rate: float  # [events/yr] scenario-adjusted
    sites: np.ndarray  # [int] site indices
    footprint: np.ndarray  # [fraction] per site
    site_links: tuple[np.ndarray, ...]  # link indices per site
    correlation: float = 0.0  # [0-1] of the severities' normals within one regional event

    @cached_property
    def links_per_site(self) -> np.ndarray:
        """[int] number of links at each member site."""
        return np.array([len(x) for x in self.site_links], dtype=np.int64)

    @cached_property
    def flat_links(self) -> np.ndarray:
        """[int] the member sites' links, site after site."""
        return np.concatenate([*self.site_links, np.zeros(0, dtype=np.int64)]).astype(np.int64)


@dataclass(frozen=True)
class ShockTable:
    """All common-shock groups of a portfolio as flat arrays, for drawing them together: per
    group its rate and number of member sites; per member site (group by group) its footprint
    and its links (``flat_links[link_offset[m]:link_offset[m] + links_per_member[m]]``)."""

    rates: np.ndarray  # [events/yr] per group
    correlation: np.ndarray  # [0-1] per group, of the severities within one regional event
    sizes: np.ndarray  # [int] member sites per group
    member_offset: np.ndarray  # [int] first member of each group
    footprint: np.ndarray  # [fraction] per member
    links_per_member: np.ndarray  # [int]
    link_offset: np.ndarray  # [int]
    flat_links: np.ndarray  # [int]
    one_link_each: bool

    @property
    def correlated(self) -> bool:
        """Whether some group correlates the severities of the sites it strikes."""
        return bool(np.any(self.correlation > 0))

    @classmethod
    def of(cls, groups: tuple[CommonGroup, ...]) -> ShockTable:
        sizes = np.array([len(g.sites) for g in groups], dtype=np.int64)
        per_member = np.concatenate([*(g.links_per_site for g in groups), np.zeros(0, dtype=np.int64)])
        return cls(
            rates=np.array([g.rate for g in groups], dtype=float),
            correlation=np.array([g.correlation for g in groups], dtype=float), sizes=sizes,
            member_offset=np.cumsum(sizes) - sizes,
            footprint=np.concatenate([*(g.footprint for g in groups), np.zeros(0)]),
            links_per_member=per_member, link_offset=np.cumsum(per_member) - per_member,
            flat_links=np.concatenate([*(g.flat_links for g in groups), np.zeros(0, dtype=np.int64)]),
            one_link_each=bool(np.all(per_member == 1)),
        )
