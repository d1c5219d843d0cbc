"""The master's allocator: sorters (who is furthest below fair share) and the hierarchical
allocator (what is free, what is refused, who gets which agent). Pure Python, no I/O."""

from .hierarchical import Allocation, HierarchicalAllocator, ShareRow
from .sorter import DrfSorter, PrioritySorter, RandomSorter, Sorter, make_sorter

__all__ = [
    "Allocation",
    "DrfSorter",
    "HierarchicalAllocator",
    "PrioritySorter",
    "RandomSorter",
    "ShareRow",
    "Sorter",
    "make_sorter",
]
