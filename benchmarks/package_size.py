"""Size of the Lambda deployment package ``chalice package`` builds, on a scratch copy of the app.

The copy gets the definitions bundled into ``chalicelib/`` exactly as
``make bundle`` does, so the working tree is left untouched. Chalice pip-downloads
Lambda-compatible wheels (manylinux, the Lambda Python version) from PyPI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = ["package_size_mb"]

REPO_ROOT = Path(__file__).resolve().parents[1]
_SHIPPED = ("app.py", "chalicelib", ".chalice", "requirements.txt", "infra")


def package_size_mb(stage: str = "dev") -> tuple[float, float]:
    """(zipped MB, unzipped MB) of the deployment package."""
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch, "app")
        project.mkdir()
        for name in _SHIPPED:
            source = REPO_ROOT / name
            if source.is_dir():
                shutil.copytree(source, project / name, ignore=shutil.ignore_patterns(
                    "__pycache__", "deployments", "definitions"))
            else:
                shutil.copy2(source, project / name)
        shutil.copytree(REPO_ROOT / "definitions", project / "chalicelib" / "definitions")
        env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
               "INSIDE_FLOW_WORK_QUEUE": f"inside-flow-{stage}-work"}
        chalice = Path(sys.executable).with_name("chalice")
        subprocess.run([str(chalice), "package", "--stage", stage, "--merge-template",
                        f"infra/resources-{stage}.json", str(Path(scratch, "out"))],
                       cwd=project, env=env, check=True, capture_output=True, text=True)
        bundle = Path(scratch, "out", "deployment.zip")
        with zipfile.ZipFile(bundle) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        return bundle.stat().st_size / 1e6, unzipped / 1e6
