import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1ClusterRole, V1DaemonSet, V1PolicyRule} from '@kubernetes/client-node';
import {MultusError} from '../../../source/errors.js';
import {
	patchRoleResolvingDoubt,
	restartLanded,
	restartResolvingDoubt,
	rolePatchLanded,
	sentChangeRecord,
	StillInDoubt,
	writeResolvingDoubt,
	type DoubtEvent,
	type ReadBack,
} from '../../../source/doctor/in-doubt.js';
import type {Plan} from '../../../source/doctor/model.js';
import {changeAnnotation, changeRecord, recordOperations} from '../../../source/doctor/record.js';
import {planRolePatch, type JsonPatchOperation} from '../../../source/multus/rbac.js';
import {blockingRules} from '../../../source/multus/requirements.js';
import {applyJsonPatch, PatchFailed, type Json} from '../../helpers/json-patch.js';

const podsListWatch: V1PolicyRule = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};
const brokenRules: V1PolicyRule[] = [
	{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*']},
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
	{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
];
const noAnswer = () => new MultusError('Timeout', 'cannot patch ClusterRole multus: no answer from the API server at https://127.0.0.1:1 in time');
const dropped = () => new MultusError('Unreachable', 'cannot read ClusterRole multus: cannot connect to the API server at https://127.0.0.1:1 (ECONNRESET)');
const fast = {delaysMs: [0]};

function brokenRole(annotations?: Record<string, string>): V1ClusterRole {
	return {metadata: {name: 'multus', resourceVersion: '100', ...(annotations ? {annotations} : {})}, rules: structuredClone(brokenRules)};
}

/** The plan the doctor makes for `role`: the missing rules plus the change record, guarded by resourceVersion. */
function planFor(role: V1ClusterRole): Plan {
	const patch = planRolePatch(role.rules, blockingRules('thick'), role.metadata?.resourceVersion);
	const operations = [...patch.jsonPatch, ...recordOperations(role, changeRecord(patch.missing, patch.after, 'kube-system/kube-multus-ds'), patch.before)];
	return {role: 'multus', resourceVersion: role.metadata?.resourceVersion, patch, operations} as Plan;
}

/**
 * An API server holding one ClusterRole, applying JSON patches as the real one does (a failed `test` is a
 * Conflict), whose answers can be lost: `lose` says, per call, whether the answer to that call goes missing.
 */
function fakeServer(role: V1ClusterRole, lose: {patch?: Array<'before' | 'after' | undefined>; read?: Array<'before' | undefined>}) {
	let stored = structuredClone(role);
	const calls = {patch: 0, read: 0, applied: 0};
	return {
		calls,
		stored: () => stored,
		async patchClusterRole(_name: string, operations: JsonPatchOperation[]): Promise<V1ClusterRole> {
			const fate = lose.patch?.[calls.patch++];
			if (fate === 'before') throw noAnswer();
			let next: V1ClusterRole;
			try {
				next = applyJsonPatch(stored as unknown as Json, operations) as unknown as V1ClusterRole;
			} catch (error) {
				if (error instanceof PatchFailed) throw new MultusError('Conflict', `ClusterRole multus changed since it was read (${error.message})`);
				throw error;
			}
			next.metadata = {...next.metadata, resourceVersion: String(Number(stored.metadata?.resourceVersion) + 1)};
			stored = next;
			calls.applied++;
			if (fate === 'after') throw dropped();
			return structuredClone(stored);
		},
		async readClusterRole(): Promise<V1ClusterRole> {
			if (lose.read?.[calls.read++] === 'before') throw dropped();
			return structuredClone(stored);
		},
		/** Someone else writes the role (another rule), as kubectl would. */
		writeElsewhere(rule: V1PolicyRule) {
			stored = {...stored, rules: [...(stored.rules ?? []), rule], metadata: {...stored.metadata, resourceVersion: String(Number(stored.metadata?.resourceVersion) + 1)}};
		},
	};
}

describe('sentChangeRecord and rolePatchLanded', () => {
	test('the change record is found whether the patch adds one annotation or the whole annotations object', () => {
		const withAnnotations = planFor(brokenRole({owner: 'ops'}));
		const without = planFor(brokenRole());
		assert.ok(withAnnotations.operations.some(op => op.path === '/metadata/annotations/kubectl-multus.dev~1change'));
		assert.ok(without.operations.some(op => op.path === '/metadata/annotations'));
		for (const plan of [withAnnotations, without]) {
			const record = sentChangeRecord(plan.operations);
			assert.ok(record);
			assert.deepEqual(JSON.parse(record).added, [podsListWatch]);
		}
	});

	test('landed: the role carries this run\'s change record and the added rules', () => {
		const plan = planFor(brokenRole());
		const after = applyJsonPatch(brokenRole() as unknown as Json, plan.operations) as unknown as V1ClusterRole;
		after.metadata!.resourceVersion = '101';
		const seen = rolePatchLanded(after, plan);
		assert.equal(seen.landed, true);
		assert.match(seen.why, /carries this run's change record and the added rules \(resourceVersion 101\)/);
	});

	test('not landed: the role is unchanged (same resourceVersion)', () => {
		const plan = planFor(brokenRole());
		const seen = rolePatchLanded(brokenRole(), plan);
		assert.equal(seen.landed, false);
		assert.match(seen.why, /ClusterRole multus is unchanged \(resourceVersion 100\)/);
	});

	test('another run\'s record (another time) is not ours: changed by someone else is a Conflict', () => {
		const plan = planFor(brokenRole());
		const other = structuredClone(plan.operations).map(op => (op.path === '/metadata/annotations' ? {...op, value: {[changeAnnotation]: '{"at":"2020-01-01T00:00:00Z"}'}} : op)) as JsonPatchOperation[];
		const after = applyJsonPatch(brokenRole() as unknown as Json, other) as unknown as V1ClusterRole;
		after.metadata!.resourceVersion = '101';
		assert.throws(() => rolePatchLanded(after, plan), (error: unknown) => error instanceof MultusError && error.kind === 'Conflict' && /changed since it was read \(resourceVersion 100, now 101\), and not by our patch/.test(error.message));
	});

	test('our record, but the added rules were taken out again since: not counted as landed', () => {
		const plan = planFor(brokenRole());
		const after = applyJsonPatch(brokenRole() as unknown as Json, plan.operations) as unknown as V1ClusterRole;
		after.rules = structuredClone(brokenRules);
		after.metadata!.resourceVersion = '102';
		assert.throws(() => rolePatchLanded(after, plan), (error: unknown) => error instanceof MultusError && error.kind === 'Conflict');
	});
});

describe('restartLanded', () => {
	const ds = (restartedAt?: string): V1DaemonSet => ({
		metadata: {namespace: 'kube-system', name: 'kube-multus-ds', generation: 2},
		spec: {selector: {}, template: {metadata: restartedAt ? {annotations: {'kubectl.kubernetes.io/restartedAt': restartedAt}} : {}}},
	});
	test('the template carries the value we sent: landed', () => {
		const seen = restartLanded(ds('2026-11-24T22:38:20Z'), '2026-11-24T22:38:20Z');
		assert.equal(seen.landed, true);
		assert.match(seen.why, /kube-system\/kube-multus-ds's pod template carries restartedAt 2026-11-24T22:38:20Z \(generation 2\)/);
	});
	test('no value, or an earlier restart\'s: not landed', () => {
		assert.equal(restartLanded(ds(), '2026-11-24T22:38:20Z').landed, false);
		const earlier = restartLanded(ds('2026-11-01T00:00:00Z'), '2026-11-24T22:38:20Z');
		assert.equal(earlier.landed, false);
		assert.match(earlier.why, /carries restartedAt 2026-11-01T00:00:00Z, not 2026-11-24T22:38:20Z/);
	});
});

describe('writeResolvingDoubt', () => {
	const never = new AbortController().signal;
	const events = () => {
		const seen: DoubtEvent[] = [];
		return {seen, onEvent: (event: DoubtEvent) => void seen.push(event)};
	};

	test('an answered write is not read back', async () => {
		let reads = 0;
		const result = await writeResolvingDoubt(async () => 'ok', async () => {
			reads++;
			return {landed: false, why: ''};
		}, {budgetMs: 1000, signal: never, ...fast});
		assert.deepEqual(result, {value: 'ok', via: 'answered', sends: 1});
		assert.equal(reads, 0);
	});

	test('other failures (Forbidden, Invalid) are not in doubt: thrown as they are, nothing read back', async () => {
		let reads = 0;
		await assert.rejects(
			writeResolvingDoubt(async () => {
				throw new MultusError('Forbidden', 'no');
			}, async () => {
				reads++;
				return {landed: false, why: ''};
			}, {budgetMs: 1000, signal: never, ...fast}),
			(error: unknown) => error instanceof MultusError && error.kind === 'Forbidden',
		);
		assert.equal(reads, 0);
	});

	test('no answer, then the read-back finds it landed: the read value, sent once', async () => {
		const {seen, onEvent} = events();
		const reads: Array<() => ReadBack<string>> = [
			() => {
				throw dropped();
			},
			() => ({landed: true, value: 'read', why: 'it is there'}),
		];
		const result = await writeResolvingDoubt(async () => {
			throw noAnswer();
		}, async () => reads.shift()!(), {budgetMs: 5000, signal: never, onEvent, ...fast});
		assert.deepEqual(result, {value: 'read', via: 'read-back', sends: 1});
		assert.deepEqual(seen.map(event => event.type), ['no-answer', 'landed']);
	});

	test('no answer, and the read-back shows it did not land: sent again', async () => {
		const {seen, onEvent} = events();
		const writes = [() => Promise.reject(noAnswer()), () => Promise.resolve('second')];
		const result = await writeResolvingDoubt(() => writes.shift()!(), async () => ({landed: false, why: 'unchanged'}), {budgetMs: 5000, signal: never, onEvent, ...fast});
		assert.deepEqual(result, {value: 'second', via: 'answered', sends: 2});
		assert.deepEqual(seen.map(event => event.type), ['no-answer', 'not-landed']);
	});

	test('the server stays silent: the write\'s own no-answer error once the budget is spent', async () => {
		const doubt = noAnswer();
		let reads = 0;
		const started = Date.now();
		await assert.rejects(writeResolvingDoubt(() => Promise.reject(doubt), async () => {
			reads++;
			throw dropped();
		}, {budgetMs: 300, signal: never, delaysMs: [20]}), (error: unknown) => error === doubt);
		assert.ok(reads >= 3, `kept reading (${reads})`);
		assert.ok(Date.now() - started < 1000);
	});

	test('a read-back that fails otherwise (Forbidden) tells nothing: the write\'s own no-answer error, at once', async () => {
		const doubt = noAnswer();
		await assert.rejects(writeResolvingDoubt(() => Promise.reject(doubt), async () => {
			throw new MultusError('Forbidden', 'cannot read ClusterRole multus: forbidden');
		}, {budgetMs: 60_000, signal: never, ...fast}), (error: unknown) => error === doubt);
	});

	test('a read-back that hangs (no --request-timeout) is cut at the budget', async () => {
		const doubt = noAnswer();
		await assert.rejects(writeResolvingDoubt(() => Promise.reject(doubt), () => new Promise<ReadBack<string>>(() => {}), {budgetMs: 200, signal: never, ...fast}), (error: unknown) => error === doubt);
	});

	test('Ctrl-C while reading back: StillInDoubt, carrying the no-answer error', async () => {
		const controller = new AbortController();
		const doubt = noAnswer();
		setTimeout(() => controller.abort(), 50);
		await assert.rejects(writeResolvingDoubt(() => Promise.reject(doubt), () => new Promise<ReadBack<string>>(() => {}), {budgetMs: 0, signal: controller.signal, ...fast}), (error: unknown) => error instanceof StillInDoubt && error.doubt === doubt && error.kind === 'Cancelled');
	});
});

describe('patchRoleResolvingDoubt against a server that loses answers', () => {
	const options = {budgetMs: 5000, signal: new AbortController().signal, ...fast};

	test('the patch landed and its answer was lost: read back, not sent again; the rule is there once', async () => {
		const server = fakeServer(brokenRole(), {patch: ['after']});
		const notes: string[] = [];
		const result = await patchRoleResolvingDoubt(server, planFor(brokenRole()), {...options, onNote: note => void notes.push(note)});
		assert.equal(result.via, 'read-back');
		assert.equal(server.calls.patch, 1);
		assert.equal(server.calls.applied, 1);
		assert.deepEqual(server.stored().rules, [...brokenRules, podsListWatch]);
		assert.deepEqual(result.value.rules, [...brokenRules, podsListWatch]);
		assert.match(notes[0]!, /^The patch of ClusterRole multus got no answer \(cannot connect to the API server at https:\/\/127\.0\.0\.1:1 \(ECONNRESET\)\): reading the role back/);
		assert.match(notes[1]!, /carries this run's change record and the added rules \(resourceVersion 101\): the patch landed; only its answer was lost\.$/);
	});

	test('the patch was lost before the server: read back unchanged, sent again, applied once', async () => {
		const server = fakeServer(brokenRole(), {patch: ['before'], read: ['before']});
		const notes: string[] = [];
		const result = await patchRoleResolvingDoubt(server, planFor(brokenRole()), {...options, onNote: note => void notes.push(note)});
		assert.equal(result.via, 'answered');
		assert.equal(result.sends, 2);
		assert.equal(server.calls.applied, 1);
		assert.deepEqual(server.stored().rules, [...brokenRules, podsListWatch]);
		assert.match(notes.at(-1)!, /ClusterRole multus is unchanged \(resourceVersion 100\): the patch did not land; sending it again \(it is guarded by that resourceVersion, so it cannot apply twice\)\.$/);
	});

	test('the same patch can never apply twice: a resend after a late landing fails its guard and is read back as landed', async () => {
		const role = brokenRole();
		const plan = planFor(role);
		const server = fakeServer(role, {});
		let sends = 0;
		// First send: no answer, and it is held at the server; the read-back sees the role unchanged; it lands
		// just before the resend, whose resourceVersion test then fails.
		const client = {
			readClusterRole: () => server.readClusterRole(),
			async patchClusterRole(name: string, operations: JsonPatchOperation[]) {
				if (++sends === 1) throw noAnswer();
				await server.patchClusterRole(name, operations);
				return server.patchClusterRole(name, operations);
			},
		};
		const result = await patchRoleResolvingDoubt(client, plan, options);
		assert.equal(result.via, 'read-back');
		assert.equal(server.calls.applied, 1);
		assert.deepEqual(server.stored().rules, [...brokenRules, podsListWatch]);
	});

	test('someone else wrote the role while our patch was in doubt: Conflict (the doctor re-plans and asks again)', async () => {
		const server = fakeServer(brokenRole(), {patch: ['before']});
		server.writeElsewhere({apiGroups: [''], resources: ['configmaps'], verbs: ['get']});
		await assert.rejects(patchRoleResolvingDoubt(server, planFor(brokenRole()), options), (error: unknown) => error instanceof MultusError && error.kind === 'Conflict');
		assert.equal(server.calls.applied, 0);
	});
});

describe('restartResolvingDoubt', () => {
	test('the restart landed and its answer was lost: the DaemonSet read back, restarted once', async () => {
		let stored: V1DaemonSet = {metadata: {namespace: 'kube-system', name: 'kube-multus-ds', generation: 1}, spec: {selector: {}, template: {}}};
		let restarts = 0;
		const client = {
			async restartDaemonSet(_ns: string, _name: string, restartedAt: string): Promise<V1DaemonSet> {
				restarts++;
				stored = {...stored, metadata: {...stored.metadata, generation: 2}, spec: {...stored.spec!, template: {metadata: {annotations: {'kubectl.kubernetes.io/restartedAt': restartedAt}}}}};
				throw dropped();
			},
			readDaemonSet: async () => stored,
		};
		const notes: string[] = [];
		const result = await restartResolvingDoubt(client, 'kube-system', 'kube-multus-ds', '2026-11-24T22:38:20Z', {budgetMs: 5000, signal: new AbortController().signal, onNote: note => void notes.push(note), ...fast});
		assert.equal(result.via, 'read-back');
		assert.equal(result.value.metadata?.generation, 2);
		assert.equal(restarts, 1);
		assert.match(notes[0]!, /^The restart of DaemonSet kube-system\/kube-multus-ds got no answer/);
		assert.match(notes[1]!, /pod template carries restartedAt 2026-11-24T22:38:20Z \(generation 2\): the restart landed; only its answer was lost\.$/);
	});
});
