// The flow's one event stream, and what observes it: the plain printer and the kept state for the report, side
// by side on the same run; and the layers the imports must respect.
import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {describe, test} from 'node:test';
import {stateKeeper} from '../../../source/doctor/machine.js';
import {plainPrinter} from '../../../source/doctor/plain.js';
import {doctorReport} from '../../../source/doctor/report.js';
import {runDoctorFlow} from '../../../source/doctor/runner.js';
import {doctorOptions} from '../../helpers/doctor-fixtures.js';
import {brokenThick} from '../../helpers/fake-multus.js';

async function observed(abortAt?: string) {
	const cluster = brokenThick();
	const kept = stateKeeper();
	let text = '';
	const print = plainPrinter({color: false, yes: true}, chunk => (text += chunk));
	const controller = new AbortController();
	const outcome = await runDoctorFlow(
		doctorOptions({interactive: false, yes: true, color: false}),
		{
			dispatch: event => {
				kept.observe(event);
				print(event);
				if (abortAt && event.type === 'step-started' && event.step === abortAt) controller.abort();
			},
			confirm: async () => true,
			signal: controller.signal,
		},
		cluster.env(),
	);
	return {outcome, text, state: kept.state};
}

describe('observers of the one event stream', () => {
	test('the plain printer and the report tell the same run', async () => {
		const {outcome, text, state} = await observed();
		assert.equal(outcome.verdict, 'fixed');
		for (const [index, title] of ['Connect', 'Find Multus', 'Detect', 'Current vs needed', 'Confirm', 'Patch', 'Restart', 'Rollout', 'Verify'].entries()) {
			assert.match(text, new RegExp(`^\\[${index + 1}/9\\] ${title}$`, 'm'));
		}
		assert.match(text, /^ {4}yes \(--yes\)$/m);
		assert.match(text, /^Fixed: .*$/m);
		const report = doctorReport(state);
		assert.equal(report.verdict, 'fixed');
		assert.equal(report.message, outcome.message);
		assert.deepEqual(report.plan?.addText, ['pods [""]: list, watch']);
		assert.ok(Object.values(report.steps).every(status => status === 'done'));
	});

	test('a stopped step looks the same to every observer: the step it stopped in is failed, later ones pending', async () => {
		const {outcome, text, state} = await observed('rollout');
		assert.equal(outcome.verdict, 'cancelled');
		assert.match(outcome.message, /^Cancelled during rollout\. ClusterRole multus was patched and the DaemonSet restart was started/);
		assert.equal(state.steps.rollout, 'failed');
		assert.equal(state.steps.verify, 'pending');
		assert.equal(state.steps.restart, 'done');
		assert.match(text, /^Cancelled during rollout\./m);
	});
});

/** The relative imports of every .ts/.tsx file under `dir`, with the file that makes each. */
function importsUnder(dir: string): Array<{file: string; target: string}> {
	const found: Array<{file: string; target: string}> = [];
	for (const name of readdirSync(dir)) {
		const file = path.join(dir, name);
		if (statSync(file).isDirectory()) found.push(...importsUnder(file));
		else if (/\.tsx?$/.test(name)) {
			for (const match of readFileSync(file, 'utf8').matchAll(/^import [^;]*? from '(\.[^']+)'/gm)) found.push({file, target: path.resolve(path.dirname(file), match[1]!)});
		}
	}
	return found;
}

describe('layers', () => {
	const source = path.resolve('source');
	const inside = (target: string, layer: string) => target.startsWith(path.join(source, layer) + path.sep);
	test('doctor imports nothing from ui', () => {
		assert.deepEqual(importsUnder(path.join(source, 'doctor')).filter(i => inside(i.target, 'ui')), []);
	});
	test('kube imports nothing from doctor or ui', () => {
		assert.deepEqual(importsUnder(path.join(source, 'kube')).filter(i => inside(i.target, 'doctor') || inside(i.target, 'ui')), []);
	});
	test('multus imports nothing of ours outside multus', () => {
		assert.deepEqual(importsUnder(path.join(source, 'multus')).filter(i => !inside(i.target, 'multus')), []);
	});
});
