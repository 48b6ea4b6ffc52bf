import {renderView} from './view.js';
import assert from 'node:assert/strict';
import {afterEach, describe, test} from 'node:test';
import {cleanup} from 'ink-testing-library';
import {frameOf, hasAnsi, linesWiderThan, waitForFrame} from '../helpers/ink.js';
import {
	checkRun,
	fixedRun,
	largeRollout,
	patchToRollout,
	stateAfter,
	untilConfirm,
	afterDecline,
} from '../helpers/doctor-fixtures.js';
import type {DoctorEvent, DoctorState} from '../../source/doctor/machine.js';
import {MultusError} from '../../source/errors.js';
import {brokenThick} from '../helpers/fake-multus.js';
import {runFlow} from '../helpers/flow.js';
import {neededRowStyle, ruleDiff} from '../../source/doctor/present.js';
import {rulesCover} from '../../source/multus/rbac.js';
import {requiredRules} from '../../source/multus/requirements.js';
import {multusReleases} from '../../source/multus/versions.js';
import {diagnosis, plan} from '../helpers/doctor-fixtures.js';

afterEach(() => {
	cleanup();
});

const upTo = (events: DoctorEvent[], type: DoctorEvent['type'], nth = 1): DoctorEvent[] => {
	let seen = 0;
	const index = events.findIndex(event => event.type === type && ++seen === nth);
	assert.notEqual(index, -1, `no ${type} event`);
	return events.slice(0, index + 1);
};

const lineWith = (frame: string, text: string): string => {
	const line = frame.split('\n').find(candidate => candidate.includes(text));
	assert.ok(line, `no line with ${JSON.stringify(text)} in:\n${frame}`);
	return line;
};

describe('each step, from the state the reducer builds', () => {
	test('connect: header, a spinner on the running step, the rest pending', () => {
		const frame = frameOf(renderView(stateAfter(upTo(untilConfirm, 'step-started'))));
		assert.match(frame, /^kubectl multus doctor {2}current context/);
		assert.doesNotMatch(lineWith(frame, 'Connect'), /[✔✖·–] Connect/, 'the running step has a spinner, not a mark');
		for (const title of ['Find Multus', 'Detect', 'Current vs needed', 'Confirm', 'Patch', 'Restart', 'Rollout', 'Verify']) {
			assert.match(lineWith(frame, title), new RegExp(`^· ${title}`));
		}
	});

	test('find: the connection folds to one line, the DaemonSet evidence shows while finding', () => {
		const frame = frameOf(renderView(stateAfter(upTo(untilConfirm, 'found'))));
		assert.match(frame, /kubectl multus doctor {2}context kwok-ui/);
		assert.match(lineWith(frame, '✔ Connect'), /kwok-ui {2}https:\/\/127\.0\.0\.1:32758, v1\.36\.3, user kwok-ui/);
		assert.match(frame, /DaemonSet kube-system\/kube-multus-ds {2}thick/);
		assert.match(frame, /pods 3\/3 ready {2}ServiceAccount kube-system:multus/);
		assert.match(frame, /ClusterRole multus via ClusterRoleBinding multus/);
	});

	test('detect: the three kinds of evidence and the verdict, each finding with its code', () => {
		const frame = frameOf(renderView(stateAfter(upTo(untilConfirm, 'diagnosed')), {columns: 140}));
		assert.match(frame, /✖ logs: 24 forbidden list line\(s\) in 3 of 3 sampled pod\(s\) {2}\[MULTUS-LOG-001\]/);
		assert.match(frame, /✖ access review: system:serviceaccount:kube-system:multus cannot list pods at cluster scope {2}\[MULTUS-RBAC-001\]/);
		assert.match(frame, /✖ access review: system:serviceaccount:kube-system:multus cannot watch pods at cluster scope {2}\[MULTUS-RBAC-002\]/);
		assert.match(frame, /✖ rules: missing pods \[""\]: list, watch {2}\[MULTUS-RULE-010\]/);
		assert.doesNotMatch(lineWith(frame, 'can list and watch'), /MULTUS-/, 'a passing check has no code');
		assert.match(frame, /Broken: the thick daemon's pod informer cannot list or watch pods/);
		// Find is finished and folds to one line: its image line is gone.
		assert.match(lineWith(frame, '✔ Find Multus'), /kube-system\/kube-multus-ds thick {2}3\/3 ready/);
		assert.doesNotMatch(frame, /image k8snetworkplumbingwg/);
	});

	test('confirm: the diff, the change, the checks, and the explicit question with what a yes does', () => {
		const frame = frameOf(renderView(stateAfter(untilConfirm)));
		assert.match(frame, /ClusterRole multus now:/);
		assert.match(frame, /Multus needs:/);
		assert.match(frame, /\+ ✖ pods \[""\]: list, watch/);
		assert.match(frame, /Change \(only additions; nothing removed or widened\):\n\s+\+ pods \[""\]: list, watch/);
		assert.match(frame, /✔ you can patch ClusterRole multus/);
		assert.match(frame, /^\? Confirm/m, 'waiting for the user: a question mark, not a spinner');
		assert.match(frame, /1\. patch ClusterRole multus: \+ pods \[""\]: list, watch/);
		assert.match(frame, /2\. restart DaemonSet kube-system\/kube-multus-ds/);
		assert.match(frame, /Apply this change to ClusterRole multus\? \[y\/N\]/);
		assert.match(frame, /y apply · n, Enter or Esc decline/);
		assert.doesNotMatch(frame, /JSON patch:/, 'the raw patch waits for the d key');
	});

	test('confirm with --no-restart says the DaemonSet is not restarted', () => {
		const frame = frameOf(renderView(stateAfter(untilConfirm), {mode: {restart: false}}));
		assert.match(frame, /no restart \(--no-restart\): DaemonSet kube-system\/kube-multus-ds keeps its pods/);
		assert.doesNotMatch(frame, /2\. restart DaemonSet/);
	});

	test('confirm on a run after a half-applied dedicated fix: the role is there from the earlier run, only its binding is created', async () => {
		const cluster = brokenThick();
		cluster.bindings[0]!.subjects!.push({kind: 'ServiceAccount', name: 'webapp', namespace: 'default'});
		cluster.fault('createClusterRoleBinding', {error: new MultusError('Forbidden', 'admission webhook "policy.example" denied the request')}, {matches: args => args[1] === false});
		await runFlow(cluster);
		let asking: DoctorState | undefined;
		await runFlow(cluster, {}, {answer: false, onEvent: (event, state) => event.type === 'confirm-requested' && (asking = state)});
		const frame = frameOf(renderView(asking!, {columns: 300}));
		const role = 'kubectl-multus:kube-system:kube-multus-ds';
		assert.ok(frame.includes(`ClusterRole ${role} exists from an earlier run, exactly as the fix would create it: create only its ClusterRoleBinding to ServiceAccount kube-system:multus? [y/N]`), frame);
		assert.ok(frame.includes(`1. keep ClusterRole ${role} (there from an earlier run: pods [""]: list, watch) and create its ClusterRoleBinding to ServiceAccount kube-system:multus alone`), frame);
		assert.match(frame, /Change \(the ClusterRoleBinding for the Multus identity alone; its ClusterRole is there from an earlier run/);
		assert.match(frame, /✔ server-side dry run accepted the ClusterRoleBinding/);
		assert.doesNotMatch(frame, /you can create a ClusterRole\b/);
		assert.doesNotMatch(frame, /Create ClusterRole .* and its binding|a new ClusterRole/);
	});

	test('confirm with details requested shows the JSON patch and the reconcile YAML', () => {
		const frame = frameOf(renderView(stateAfter(untilConfirm), {columns: 120, detailsRequested: true}));
		assert.match(frame, /\{"op":"add","path":"\/rules\/-","value":\{"apiGroups":\[""\],"resources":\["pods"\],"verbs":\["list","watch"\]\}\}/);
		assert.match(frame, /Same fix for kubectl auth reconcile -f - :/);
	});

	test('patch and restart fold to one line each once the rollout runs; the rollout shows one line per node', () => {
		const frame = frameOf(renderView(stateAfter([...untilConfirm, ...patchToRollout]), {columns: 120}));
		assert.match(lineWith(frame, '✔ Confirm'), /yes/);
		assert.match(lineWith(frame, '✔ Patch'), /✔ patched ClusterRole multus \(resourceVersion 289\)/);
		assert.match(lineWith(frame, '✔ Restart'), /restart requested at 2026-11-24T22:20:10Z \(generation 2\)/);
		assert.match(frame, /1\/3 updated {2}2\/3 ready {2}2\/3 available/);
		assert.match(frame, /█ node-000000 {2}updated and ready/);
		assert.match(frame, /░ node-000001 {2}kube-multus-ds-6prrj {2}old pod terminating/);
		assert.match(frame, /░ node-000002 {2}kube-multus-ds-s55d4 {2}old pod, not yet replaced/);
		assert.match(frame, /1 out of 3 new pods have been updated/);
		// Once applied, the plan keeps its diff but not the raw patch or the permission checks.
		assert.match(frame, /Multus needs:/);
		assert.doesNotMatch(frame, /JSON patch:|you can patch ClusterRole/);
	});

	test('a note made while a step runs (a write read back) shows under that step, and goes once it is done', () => {
		const note = 'The patch of ClusterRole multus got no answer (timeout): reading the role back to see whether it landed.';
		const reading = stateAfter([...untilConfirm, {type: 'confirm-answered', yes: true}, {type: 'step-started', step: 'patch'}, {type: 'note', note}]);
		const frame = frameOf(renderView(reading, {columns: 140}));
		const lines = frame.split('\n');
		const patchRow = lines.findIndex(line => /Patch/.test(line));
		assert.ok(patchRow >= 0 && lines[patchRow + 1]!.includes('reading the role back'), frame);
		const done = stateAfter([...untilConfirm, {type: 'confirm-answered', yes: true}, {type: 'step-started', step: 'patch'}, {type: 'note', note}, ...patchToRollout.slice(2)]);
		assert.doesNotMatch(frameOf(renderView(done, {columns: 140})), /reading the role back/);
	});

	test('the rollout of 1000 nodes is one bar in proportion to the counts, not 1000 lines', () => {
		const state = stateAfter([...untilConfirm, ...patchToRollout, {type: 'rollout-progress', rollout: largeRollout(1000, 400)}]);
		const frame = frameOf(renderView(state, {columns: 100}));
		assert.match(frame, /410\/1000 updated {2}990\/1000 ready/);
		// Below 64 at 100 columns: the finding codes wrap the denied reviews' lines.
		assert.ok(frame.split('\n').length < 64, `frame has ${frame.split('\n').length} lines`);
		assert.doesNotMatch(frame, /node-000500/, 'no line per node');
		const bars = frame.split('\n').filter(line => /^ {4}[█▒░]{20,}/.test(line));
		// 400 done, 10 new (one glyph at least), 590 old, in 60 glyphs.
		assert.deepEqual(bars, [`    ${'█'.repeat(24)}▒${'░'.repeat(35)}`]);
		assert.match(frame, /█ updated and ready {2}▒ new, not ready {2}░ old {2}\(one glyph ≈ 17 nodes\)/);
		assert.match(frame, /waiting on 600 node\(s\):/);
		assert.match(frame, /… and 595 more/);
	});

	test('the rollout of 40 nodes is a grid of one glyph per node, in node order, wrapped to the width', () => {
		const state = stateAfter([...untilConfirm, ...patchToRollout, {type: 'rollout-progress', rollout: largeRollout(40, 25, 3)}]);
		const frame = frameOf(renderView(state, {columns: 30}));
		const rows = frame.split('\n').filter(line => /^ {4}[█▒░]+$/.test(line));
		assert.deepEqual(rows, [`    ${'█'.repeat(25)}▒`, `    ▒▒${'░'.repeat(12)}`]);
		assert.doesNotMatch(frame, /one glyph ≈/);
	});

	test('verify and the summary: the proof, what changed, how to undo, the outcome', () => {
		const frame = frameOf(renderView(stateAfter(fixedRun)));
		// Verify asks every blocking review again: the pods' and the NAD informer's, each resource one line when allowed.
		const verify = frame.slice(frame.indexOf('✔ Verify'));
		assert.match(verify, /✔ access review: system:serviceaccount:kube-system:multus can list and watch pods at cluster\s+scope/);
		assert.match(verify, /✔ access review: system:serviceaccount:kube-system:multus can list and watch\s+network-attachment-definitions\.k8s\.cni\.cncf\.io at cluster scope/);
		assert.match(frame, /✔ new daemons' own words: 3 of 3 proven/);
		assert.match(frame, /✔ node-000000, node-000001, node-000002: synced, ready in 0\.1 s, nothing denied/);
		assert.match(frame, /✔ proven by the daemons themselves/);
		assert.match(frame, /Changed:\n {2}\+ ClusterRole multus: pods \[""\]: list, watch/);
		assert.match(frame, /Undo: kubectl multus undo/);
		assert.match(frame, /✔ Fixed: system:serviceaccount:kube-system:multus may list and watch what Multus needs, and the 3\s+daemons read after the restart say so themselves/);
		assert.match(lineWith(frame, '✔ Rollout'), /3\/3 updated {2}3\/3 ready {2}3\/3 available {2}339ms/);
	});

	test('finished steps stay compact: one line each, evidence only for detect, plan and verify', () => {
		const frame = frameOf(renderView(stateAfter(fixedRun), {columns: 120}));
		for (const title of ['Connect', 'Find Multus', 'Confirm', 'Patch', 'Restart', 'Rollout']) {
			const index = frame.split('\n').findIndex(line => line.startsWith(`✔ ${title}`));
			const next = frame.split('\n')[index + 1] ?? '';
			assert.match(next, /^[✔✖·–?] /, `${title} is one line, followed by the next step: ${JSON.stringify(next)}`);
		}

		// 57: the NAD informer's reviews (one line when allowed) joined the pods' in Detect and in Verify; 58: the logs
		// line's finding code pushes its timestamps onto a second row.
		assert.ok(frame.split('\n').length <= 58, `the final frame has ${frame.split('\n').length} lines`);
	});

	test('after a decline or --check, the plan keeps the patch and YAML to copy', () => {
		for (const events of [[...untilConfirm, ...afterDecline], checkRun]) {
			const frame = frameOf(renderView(stateAfter(events)));
			assert.match(frame, /JSON patch:/);
			assert.match(frame, /kind: ClusterRole/);
			assert.match(frame, /✖ (Declined: nothing was changed|Problem found \(--check: nothing changed\))/);
			assert.match(lineWith(frame, 'Patch'), /^– Patch/);
		}
	});

	test('a failed step is marked, says why, and the outcome is red', () => {
		const failed: DoctorEvent[] = [
			...upTo(untilConfirm, 'found'),
			{type: 'step-started', step: 'detect'},
			{type: 'failed', failure: {step: 'detect', kind: 'Unreachable', message: 'cannot reach https://127.0.0.1:32758: connect ECONNREFUSED', hint: 'is the cluster up?'}},
			{type: 'finished', outcome: {verdict: 'failed', exitCode: 3, message: 'cannot reach https://127.0.0.1:32758: connect ECONNREFUSED'}},
		];
		const instance = renderView(stateAfter(failed));
		const frame = frameOf(instance);
		assert.match(frame, /^✖ Detect\n {4}✖ cannot reach https:\/\/127\.0\.0\.1:32758: connect ECONNREFUSED/m);
		assert.match(frame, /fix: is the cluster up\?/);
		assert.match(lineWith(instance.lastFrame() ?? '', '✖ cannot reach https://127.0.0.1:32758: connect ECONNREFUSED\u001B'), /\u001B\[31m/);
		assert.doesNotMatch(frame, /MULTUS-/, 'a failure that is no finding has no code');
	});

	test('a failure that is a finding, and the outcome, show its code', () => {
		const failed: DoctorEvent[] = [
			...upTo(untilConfirm, 'planned'),
			{type: 'step-started', step: 'confirm'},
			{type: 'failed', failure: {step: 'confirm', kind: 'Forbidden', message: 'you lack permission to apply the fix: patch ClusterRole multus', hint: 'ask an admin to grant: clusterroles.rbac.authorization.k8s.io "multus": patch', code: 'MULTUS-CALLER-001'}},
			{type: 'finished', outcome: {verdict: 'failed', exitCode: 4, message: 'you lack permission to apply the fix: patch ClusterRole multus. Nothing in the cluster was changed.', code: 'MULTUS-CALLER-001'}},
		];
		const frame = frameOf(renderView(stateAfter(failed), {columns: 140}));
		assert.match(frame, /^✖ Confirm\n {4}✖ you lack permission to apply the fix: patch ClusterRole multus {2}\[MULTUS-CALLER-001\]$/m);
		assert.match(frame, /^✖ you lack permission to apply the fix: patch ClusterRole multus\. Nothing in the cluster was changed\. {2}\[MULTUS-CALLER-001\]$/m);
	});
});

describe('colour and width', () => {
	test('NO_COLOR: not one escape sequence, while the colour theme does colour the same state', () => {
		for (const events of [untilConfirm, fixedRun]) {
			const plain = renderView(stateAfter(events), {color: false}).lastFrame() ?? '';
			assert.ok(!hasAnsi(plain), `escape in: ${JSON.stringify(plain.slice(plain.indexOf('\u001B') - 20, plain.indexOf('\u001B') + 20))}`);
			assert.ok(hasAnsi(renderView(stateAfter(events), {color: true}).lastFrame() ?? ''), 'the colour theme emits colour (FORCE_COLOR is set by the helpers)');
		}
	});

	test('the missing rule is highlighted in the diff; covered rules are not', () => {
		const frame = renderView(stateAfter(untilConfirm)).lastFrame() ?? '';
		const row = frame.split('\n').find(line => line.includes('✖ pods [""]: list, watch'));
		assert.ok(row, 'the missing row');
		assert.match(row, /\u001B\[1m/, 'bold');
		assert.match(row, /\u001B\[31m\+ ✖ /, 'red, with its + mark');
		const covered = frame.split('\n').find(line => line.includes('✔ pods [""]: get'));
		assert.ok(covered);
		assert.doesNotMatch(covered, /\u001B\[31m|\u001B\[1m/);
		// Without colour the mark still says it: + for what will be added.
		const plainFrame = renderView(stateAfter(untilConfirm), {color: false}).lastFrame() ?? '';
		assert.match(plainFrame, /\+ ✖ pods \[""\]: list, watch/);
		assert.match(plainFrame, / {2}✔ pods \[""\]: get/);
	});

	test('a missing advisory rule (master\'s DRA reads) is warned about in "Multus needs", never marked + (the change does not add it)', () => {
		const master = multusReleases.find(release => release.version === 'master')!;
		const requirements = requiredRules('thick', master).map(requirement => ({...requirement, covered: requirement.level === 'blocking' ? rulesCover(diagnosis.rules.requirements.flatMap(r => (r.covered ? [r.rule] : [])), requirement.rule) : false}));
		const {needed} = ruleDiff(plan, {...diagnosis, rules: {...diagnosis.rules, requirements}});
		const advisory = needed.filter(row => row.text.startsWith('!'));
		assert.ok(advisory.length > 0, 'master has advisory requirements');
		for (const row of advisory) {
			assert.equal(row.mark, ' ', row.text);
			assert.equal(row.missing, true);
			assert.equal(neededRowStyle(row), 'warn');
		}
		const pods = needed.find(row => row.text === '✖ pods [""]: list, watch')!;
		assert.equal(pods.mark, '+');
		assert.equal(neededRowStyle(pods), 'bad');
	});

	test('side by side from 100 columns, stacked below', () => {
		const wide = frameOf(renderView(stateAfter(untilConfirm), {columns: 120}));
		assert.match(wide, /ClusterRole multus now: +Multus needs:/);
		const narrow = frameOf(renderView(stateAfter(untilConfirm), {columns: 99}));
		assert.doesNotMatch(narrow, /ClusterRole multus now: +Multus needs:/);
		assert.ok(narrow.indexOf('Multus needs:') > narrow.indexOf('events ["", "events.k8s.io"]: create, patch, update'), 'needed comes after the current rules');
	});

	test('40 columns: every state fits, wrapped, nothing side by side', async () => {
		const states = [
			stateAfter(untilConfirm),
			stateAfter([...untilConfirm, ...patchToRollout]),
			stateAfter([...untilConfirm, ...patchToRollout, {type: 'rollout-progress', rollout: largeRollout(1000, 400)}]),
			stateAfter(fixedRun),
			stateAfter(checkRun),
		];
		for (const state of states) {
			const instance = renderView(state, {columns: 40, detailsRequested: true});
			// eslint-disable-next-line no-await-in-loop
			const frame = await waitForFrame(instance, 'kubectl multus doctor');
			assert.deepEqual(linesWiderThan(frame, 40), [], frame);
			assert.doesNotMatch(frame, /now: +Multus needs:/);
		}
	});

	test('narrow terminals wrap long evidence under its text, not under the mark', () => {
		const frame = frameOf(renderView(stateAfter(upTo(untilConfirm, 'diagnosed')), {columns: 40}));
		const lines = frame.split('\n');
		const index = lines.findIndex(line => line.includes('✖ access review:'));
		assert.match(lines[index + 1]!, /^ {6}\S/, `continuation: ${JSON.stringify(lines[index + 1])}`);
	});
});
