"""nbgrader with a real PostgreSQL gradebook: a server started on loopback for the test, nbgrader's db_url pointed
at it (NBGRADER_DB_URL, read by the shipped nbgrader_config.py), generate → autograde → export end to end."""

import csv
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.course import write_course
from autograder.grading import max_score_of
from autograder.notebooks import learner_notebook
from tests.notebook_fixtures import GRADED_CHAPTERS, chapter_file, solved, write

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    if not PG_BIN:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run installs Debian's postgresql package")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pg = Path(PG_BIN[-1])
    data = Path(tempfile.mkdtemp(prefix="gradebook-pg-"))  # not under pytest's root-only tmp dir
    as_user = []
    if os.geteuid() == 0:  # the server refuses to run as root
        shutil.chown(data, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    run = lambda *cmd: subprocess.run([*as_user, *map(str, cmd)], check=True, capture_output=True, text=True)  # noqa: E731
    run(pg / "initdb", "-D", data / "db", "-U", "grader", "--auth=trust", "-E", "UTF8")
    port = _free_port()
    run(pg / "pg_ctl", "-D", data / "db", "-l", data / "server.log", "-w", "-t", "60", "start",
        "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {data}")
    try:
        run(pg / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "grader", "gradebook")
        yield f"postgresql+psycopg2://grader@127.0.0.1:{port}/gradebook"
    finally:
        run(pg / "pg_ctl", "-D", data / "db", "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


def nbgrader(*args, cwd, db_url):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "NBGRADER_DB_URL": db_url}
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_generate_autograde_export_on_postgresql(postgres, tmp_path):
    chapter = GRADED_CHAPTERS[0]
    stem = chapter_file(chapter).stem
    course = write_course(tmp_path / "course", [chapter])
    nbgrader("generate_assignment", stem, cwd=course, db_url=postgres)
    write(solved(chapter), course / "submitted" / "ada" / stem / f"{stem}.ipynb")
    write(learner_notebook(chapter_file(chapter)), course / "submitted" / "ben" / stem / f"{stem}.ipynb")
    nbgrader("autograde", stem, cwd=course, db_url=postgres)
    nbgrader("export", cwd=course, db_url=postgres)
    rows = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}
    assert float(rows["ada"]["score"]) == max_score_of(chapter) and rows["ada"]["status"] == "graded"
    assert float(rows["ben"]["score"]) == 0 and rows["ben"]["status"] == "graded"
    assert not (course / "gradebook.db").exists(), "the gradebook must live in PostgreSQL, not SQLite"

    import sqlalchemy

    engine = sqlalchemy.create_engine(postgres)
    with engine.connect() as db:
        students = {r[0] for r in db.execute(sqlalchemy.text("select id from student"))}
        n_submitted = db.execute(sqlalchemy.text("select count(*) from submitted_assignment")).scalar()
    assert students == {"ada", "ben"} and n_submitted == 2
