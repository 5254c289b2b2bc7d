"""No id leaves its folder: the runtime's XCom paths encode every id as one path segment, with the rule of
`pathSegment` in src/volume-layout.ts (test/id-paths.test.ts checks the two build the same paths)."""
import os
import shutil
import tempfile
import unittest

from airflow_serverless.runtime.xcom import path_segment, read_latest_prior, read_xcom, write_xcom, xcom_path

HOSTILE = [".", "..", "", "a/b", "../x", "../../etc", "x\0y", "%2E%2E", "données_quotidiennes", "a%2Fb", "100%"]


class PathSegmentTest(unittest.TestCase):
    def test_every_id_is_one_segment_never_empty_dot_or_dotdot(self) -> None:
        for value in HOSTILE:
            segment = path_segment(value)
            self.assertNotIn(segment, ("", ".", ".."), repr(value))
            self.assertNotIn("/", segment)
            self.assertNotIn("\0", segment)
        self.assertEqual(path_segment(".."), "%2E%2E")
        self.assertEqual(path_segment("."), "%2E")
        self.assertEqual(path_segment(""), "%00")
        self.assertEqual(path_segment("a/b"), "a%2Fb")
        # `%` is escaped first: an id holding `%2F` never shares the folder of one holding `/`.
        self.assertEqual(path_segment("a%2Fb"), "a%252Fb")
        self.assertNotEqual(path_segment("a%2Fb"), path_segment("a/b"))
        self.assertEqual(path_segment("x\0y"), "x%00y")
        self.assertEqual(path_segment("données_quotidiennes"), "données_quotidiennes")
        self.assertEqual(path_segment("manual__2024-01-01T00:00:00+00:00"), "manual__2024-01-01T00:00:00+00:00")

    def test_xcom_paths_of_any_ids_stay_inside_xcom(self) -> None:
        root = os.path.join(os.sep, "vol")
        for dag_id in HOSTILE:
            for run_id in HOSTILE:
                path = xcom_path(root, dag_id, run_id, dag_id, -1, run_id or "k")
                self.assertTrue(os.path.normpath(path).startswith(os.path.join(root, "xcom") + os.sep), path)
                # As many segments after normalising as were built: none was '.' or '..'.
                self.assertEqual(len(os.path.normpath(path).split(os.sep)), len(path.split(os.sep)), path)


class DotDotIdsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root, True)

    def test_a_dotdot_task_writes_inside_xcom_and_touches_nothing_outside(self) -> None:
        bystander = os.path.join(self.root, "return_value.json")
        with open(bystander, "w", encoding="utf-8") as handle:
            handle.write('{"mine": true}')
        write_xcom(self.root, "..", "..", "..", -1, "return_value", "pushed")
        with open(bystander, encoding="utf-8") as handle:
            self.assertEqual(handle.read(), '{"mine": true}')
        self.assertTrue(os.path.exists(os.path.join(self.root, "xcom", "%2E%2E", "%2E%2E", "%2E%2E", "return_value.json")))
        self.assertEqual(read_xcom(self.root, "..", "..", "..", -1, "return_value")["value"], "pushed")
        self.assertEqual(sorted(os.listdir(self.root)), ["return_value.json", "xcom"])

    def test_include_prior_dates_finds_runs_with_hostile_ids(self) -> None:
        import datetime

        utc = datetime.timezone.utc
        earlier = datetime.datetime(2024, 1, 1, tzinfo=utc)
        write_xcom(self.root, "d", "a/..", "t", -1, "k", "from a slashed run", logical_date=earlier)
        write_xcom(self.root, "d", "..", "t", -1, "k", "from a dotdot run", logical_date=earlier + datetime.timedelta(days=1))
        found = read_latest_prior(self.root, "d", "now", "t", -1, "k", logical_date=earlier + datetime.timedelta(days=2))
        self.assertEqual(found["value"], "from a dotdot run")
        self.assertEqual(found["run_id"], "..")


if __name__ == "__main__":
    unittest.main()
