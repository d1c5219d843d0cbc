"""The master's allocator: sorters (who is furthest below fair share) and the hierarchical
allocator (what is free, what is refused, who gets which agent). Pure Python, no I/O."""

from .hierarchical import (
    AgentTrace,
    Allocation,
    ClientState,
    CycleTrace,
    HierarchicalAllocator,
    ShareRow,
    Skip,
    SorterState,
)
from .sorter import DrfSorter, PrioritySorter, RandomSorter, Sorter, make_sorter

__all__ = [
    "AgentTrace",
    "Allocation",
    "ClientState",
    "CycleTrace",
    "Skip",
    "SorterState",
    "DrfSorter",
    "HierarchicalAllocator",
    "PrioritySorter",
    "RandomSorter",
    "ShareRow",
    "Sorter",
    "make_sorter",
]
