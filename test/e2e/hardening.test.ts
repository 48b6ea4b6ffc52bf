// Hardening (issue #12, items 4-12) against the real cluster: what the doctor does with a pipe that closes, logs
// that hold the error only at their end, and a restart that cannot create its pods.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {after, describe, test} from 'node:test';
import {applyScenario, deleteScenario, testEnv} from '../helpers/cluster.js';

/** Runs a shell pipeline with the test cluster's environment; resolves with its exit code and output. */
function shell(script: string): Promise<{code: number | null; stdout: string; stderr: string}> {
	return new Promise((resolve, reject) => {
		const child = spawn('bash', ['-c', script], {env: testEnv, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', chunk => (stdout += chunk));
		child.stderr.on('data', chunk => (stderr += chunk));
		child.on('error', reject);
		child.on('close', code => resolve({code, stdout, stderr}));
	});
}

describe('hardening', () => {
	after(() => deleteScenario('broken-thick'));

	test('doctor --check | head -1 on a broken cluster exits 1 under pipefail (a closed stdout keeps the real exit code)', async () => {
		applyScenario('broken-thick');
		const result = await shell('set -o pipefail; kubectl multus doctor --check | head -1');
		assert.equal(result.code, 1, result.stdout + result.stderr);
		assert.equal(result.stdout.split('\n').filter(Boolean).length, 1);
		assert.equal(result.stderr, '');
	});
});
