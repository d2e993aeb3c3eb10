"""Collecting many buildings at once: the same decisions as ``building_collect``, in a bounded number of queries.

A device's batch of a thousand new buildings costs a thousand times the queries of one when each is
collected alone. Here the batch is planned in memory from a few set-based reads (grids of every point,
ids already given out, landlords, and for every point the candidates within reach that no veto rules out,
read under the cells' locks),
decided in order — a building collected earlier in the batch is a candidate for the later ones, exactly as
if they had come one by one — and written with one bulk statement per table: about a dozen queries, whatever
the number of buildings.
"""

from .collect import Submission, buildings_collect_batch

__all__ = ["Submission", "buildings_collect_batch"]
