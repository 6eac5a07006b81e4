# SPDX-License-Identifier: MIT
"""oeqa runtime test: hdrnn-run's smoke preset on the image, results checked on the host.

Run with: kas build kas/qemuarm.yml:kas/feature/testimage.yml --target hdrnn-image -c testimage
"""

import json

from oeqa.core.decorator.depends import OETestDepends
from oeqa.core.decorator.oetimeout import OETimeout
from oeqa.runtime.case import OERuntimeTestCase
from oeqa.runtime.decorator.package import OEHasPackage

RESULTS = "/tmp/hdrnn-oeqa"
# Print every run record of the session as one JSON list, so the host can assert on it.
DUMP = ("python3 -c \"import json,glob; print(json.dumps([json.load(open(p)) for p in "
        "sorted(glob.glob('%s/runs/*.json'))]))\"" % RESULTS)
# The checks every board test applies to a smoke run: hdrnn.runner.presets.SMOKE_CHECKS,
# read from the package on the target so that this case and tests/target cannot differ.
CHECKS = ("python3 -c \"import json; from hdrnn.runner.presets import SMOKE_CHECKS; "
          "print(json.dumps(SMOKE_CHECKS))\"")


class HdrnnRunTest(OERuntimeTestCase):

    @OETestDepends(['ssh.SSHTest.test_ssh'])
    @OEHasPackage(['python3-hdrnn'])
    @OEHasPackage(['hdrnn-c'])
    @OEHasPackage(['hdrnn-data-mnist10k'])
    @OETimeout(1800)
    def test_hdrnn_run_smoke(self):
        self.target.run('rm -rf %s' % RESULTS)
        status, output = self.target.run(
            'hdrnn-run --preset smoke --out %s --quiet' % RESULTS, timeout=1500)
        self.assertEqual(status, 0, msg='hdrnn-run failed:\n%s' % output)

        status, output = self.target.run(DUMP)
        self.assertEqual(status, 0, msg=output)
        runs = json.loads(output.strip().splitlines()[-1])
        status, output = self.target.run(CHECKS)
        self.assertEqual(status, 0, msg=output)
        checks = json.loads(output.strip().splitlines()[-1])
        impls = {r['impl'] for r in runs}
        self.assertTrue({'c', 'eigen', 'numpy'} <= impls, msg='ran only %s' % sorted(impls))
        for r in runs:
            self.assertEqual(r['status'], 'ok', msg=json.dumps(r)[:2000])
            self.assertGreater(r['final_accuracy'], checks['min_accuracy'], msg=r['id'])
            self.assertGreater(r['max_rss_kib'], 0, msg=r['id'])
            self.assertLess(r['max_rss_kib'], checks['max_rss_mib'][r['impl']] * 1024,
                            msg=r['id'])

    @OEHasPackage(['hdrnn-c'])
    def test_bad_command_line(self):
        status, output = self.target.run('hdrnn-c --data /nonexistent --hidden 0')
        self.assertEqual(status, 2, msg=output)
