"""Run the import contract of pyproject.toml (import-linter) on a source tree, in-process or as a process."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from importlinter import configuration
from importlinter.application import use_cases
from importlinter.application.use_cases import create_report, read_user_options

# What the `lint-imports` command sets up before it reads a configuration.
configuration.configure()
use_cases._register_built_in_contract_types()

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


@dataclass(frozen=True)
class Outcome:
    kept: bool
    output: str


def contracts() -> list[dict[str, object]]:
    return list(read_user_options(config_filename=str(PYPROJECT)).contracts_options)


def broken_contracts() -> list[str]:
    """The names of the contracts the tree breaks today (in-process, no cache)."""
    report = create_report(read_user_options(config_filename=str(PYPROJECT)), cache_dir=None)
    assert not report.could_not_run, "the import contract is misconfigured"
    return [contract.name for contract, check in report.get_contracts_and_checks() if not check.kept]


def lint_imports(tree: Path) -> Outcome:
    """``lint-imports`` as ``make test`` runs it, on the package ``apps`` found under ``tree``."""
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    run = subprocess.run(
        [str(lint), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Outcome(kept=run.returncode == 0, output=run.stdout + run.stderr)
