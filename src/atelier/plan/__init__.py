"""The project's plan: PERT estimates, the critical path, the deadline's chances, progress.

``plan`` computes and draws them from the charter's ``plan`` section (see
:mod:`atelier.charter._plan`), or from the CRISP-DM plan it proposes when there is none.
"""

from atelier.plan._network import chance_of_meeting, critical_path_method, dependency_graph, pert
from atelier.plan._stage import PlanResult, plan, proposed_plan

__all__ = [
    "PlanResult",
    "chance_of_meeting",
    "critical_path_method",
    "dependency_graph",
    "pert",
    "plan",
    "proposed_plan",
]
