"""One line, not a traceback, when a sweep's launcher (joblib, Ray, submitit) fails.

The launcher runs in the driver before any job: a wrong Ray address, a bad
``hydra.launcher.*`` value or a Slurm refusal raises inside the launcher's own
package. Errors raised elsewhere (our code, a job) keep their traceback.
"""

from __future__ import annotations

from eng5_runner.errors import RunnerError

#: Path pieces of the frames that belong to a launcher or its scheduler library.
LAUNCHER_PATHS = (
    "/hydra_plugins/hydra_joblib_launcher/",
    "/hydra_plugins/hydra_ray_launcher/",
    "/hydra_plugins/hydra_submitit_launcher/",
    "/joblib/",
    "/ray/",
    "/submitit/",
)


def launcher_error(exc: BaseException) -> RunnerError | None:
    """A one-line error if ``exc`` was raised inside a sweep launcher; None otherwise."""
    frame = exc.__traceback__
    inside = False
    while frame is not None:
        path = frame.tb_frame.f_code.co_filename.replace("\\", "/")
        inside = inside or any(piece in path for piece in LAUNCHER_PATHS)
        frame = frame.tb_next
    if not inside:
        return None
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    detail = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return RunnerError(
        f"the sweep launcher failed ({detail})",
        hint="check the hydra/launcher options (hydra.launcher.*; for Ray the cluster "
        "address, `ray status`), see docs/runbook.md; HYDRA_FULL_ERROR=1 shows the traceback",
    )
