"""The demo's councils: the reference council and a second, synthetic one to compare it with.

``make demo`` runs a deployment of two councils, registered in ``councils.toml`` beside this
file (passed to the pipeline through ``COMPLAINTS_COUNCILS_FILE`` by the demo command only):

- **Darlington** (E06000005), the reference council: the reference dataset
  (``reference_data``), whose 2019/20 report reproduces the published one;
- **Northmoor** (E06000999, a made-up council and code): synthetic data (``synthetic``) with
  its own teams and service areas, its own mix of issues and about twice the complaints,
  seeded, so the same rows every time; 2018/19 and 2019/20, so both years' reports build.

``build_demo_council_source(code, engine)`` fills an empty source database with the council's
rows. Each council has its own source database, as each council has its own case-management
system.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from csc_complaints_demo.synthetic import GeneratorConfig, generate

DEMO_COUNCILS_FILE = Path(__file__).with_name("councils.toml")

REFERENCE_CODE = "E06000005"
NORTHMOOR_CODE = "E06000999"

# Northmoor's structure: (service area, team, relative workload). Its team_order in
# councils.toml lists these names in this order.
NORTHMOOR_TEAMS: tuple[tuple[str, str, float], ...] = (
    ("Front Door & Early Help", "Multi-Agency Safeguarding Hub", 1.0),
    ("Front Door & Early Help", "Early Help Locality East", 0.5),
    ("Front Door & Early Help", "Early Help Locality West", 0.5),
    ("Children in Need & Protection", "Assessment Team", 1.3),
    ("Children in Need & Protection", "Child Protection Team North", 1.2),
    ("Children in Need & Protection", "Child Protection Team South", 1.1),
    ("Children in Care & Care Leavers", "Children in Care Team", 1.0),
    ("Children in Care & Care Leavers", "Leaving Care Team", 0.6),
    ("Fostering & Permanence", "Fostering Service", 0.5),
    ("Fostering & Permanence", "Adoption Northmoor", 0.3),
    ("Disabled Children's Service", "Children with Disabilities Team", 0.6),
)
# More complaints about communication and decisions than the reference council has.
NORTHMOOR_ISSUES = {
    "communication": 38,
    "service_provision": 30,
    "staff_attitude": 22,
    "decision_outcome": 20,
    "information": 9,
    "confidentiality": 3,
}
NORTHMOOR = GeneratorConfig(
    seed=20190401,
    first_year="2018/19",
    years=2,
    complaints_per_year=120,
    teams=len(NORTHMOOR_TEAMS),
    team_catalogue=NORTHMOOR_TEAMS,
    issue_weights=NORTHMOOR_ISSUES,
    escalation_rate_stage1_to_2=0.12,
    # As at the end of 2019/20, as the reference dataset is: no row of a later year.
    as_of=datetime(2020, 3, 31, 18, 0),
)


def build_demo_council_source(code: str, engine: Engine) -> dict[str, int]:
    """Fill the empty source database behind ``engine`` with the demo council's rows; return
    the rows written per table."""
    if code == REFERENCE_CODE:
        from csc_complaints_demo.reference_data import build_reference_dataset

        return build_reference_dataset(engine)
    if code == NORTHMOOR_CODE:
        return generate(engine, NORTHMOOR, progress=False)
    raise KeyError(
        f"council {code} has no demo source: the demo has {REFERENCE_CODE} and {NORTHMOOR_CODE}"
    )
