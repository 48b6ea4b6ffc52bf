import type {V1PolicyRule} from '@kubernetes/client-node';
import {doctorReducer, initialState, type DoctorEvent, type DoctorState} from '../../source/doctor/machine.js';
import type {Connection, Diagnosis, Found, Outcome, PatchResult, Plan, RestartResult, RolloutView, Verification} from '../../source/doctor/model.js';
import {clusterStateAfterCancel, type ClusterFacts} from '../../source/doctor/present.js';
import type {DoctorIO} from '../../source/doctor/runner.js';
import {rulesCover} from '../../source/multus/rbac.js';
import {requiredRules} from '../../source/multus/requirements.js';
import {resolveRelease} from '../../source/multus/versions.js';
import {rolloutByNodeMaxNodes} from '../../source/multus/rollout.js';
import type {DoctorOptions} from '../../source/options.js';

// The broken-thick scenario (scenarios/broken-thick.yaml) as the runner reported it against the local
// cluster: kube-system/kube-multus-ds, thick, ServiceAccount multus, ClusterRole multus without pods list/watch.

const user = 'system:serviceaccount:kube-system:multus';
const rbacAllowed = 'RBAC: allowed by ClusterRoleBinding "multus" of ClusterRole "multus" to ServiceAccount "multus/kube-system"';
const forbiddenExample = `… k8s.io/client-go/informers/factory.go:150: failed to list *v1.Pod: pods is forbidden: User "${user}" cannot list resource "pods" in API group "" at the cluster scope`;

const podsListWatch: V1PolicyRule = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};
const rulesBefore: V1PolicyRule[] = [
	{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*']},
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
	{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
];
const rulesAfter: V1PolicyRule[] = [...rulesBefore, podsListWatch];

export const connection: Connection = {
	context: 'kwok-ui',
	cluster: 'kwok-ui',
	server: 'https://127.0.0.1:32758',
	user: 'kwok-ui',
	impersonating: undefined,
	kubeconfigSource: 'KUBECONFIG=/root/.cache/kubectl-multus/kwok/clusters/ui/kubeconfig.yaml',
	serverVersion: 'v1.36.3',
};

export const found: Found = {
	daemonSet: {
		namespace: 'kube-system',
		name: 'kube-multus-ds',
		mode: 'thick',
		container: 'kube-multus',
		image: 'k8snetworkplumbingwg/multus-cni:snapshot-thick',
		version: 'snapshot-thick',
		release: resolveRelease('k8snetworkplumbingwg/multus-cni:snapshot-thick'),
		serviceAccount: 'multus',
		evidence: ['image k8snetworkplumbingwg/multus-cni:snapshot-thick', 'label app=multus', 'container kube-multus', 'command /usr/src/multus-cni/bin/multus-daemon'],
		perNodeCertificates: false,
		daemonLog: {startupLines: 'visible', source: 'ConfigMap multus-daemon-config (daemon-config.json)'},
	},
	desired: 3,
	ready: 3,
	selector: 'name=multus',
	identity: {user, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']},
	roles: [
		{
			name: 'multus',
			rules: rulesBefore,
			resourceVersion: '214',
			owner: undefined,
			autoupdateDisabled: false,
			grants: [{binding: 'multus', role: 'multus', via: 'ServiceAccount kube-system:multus', shared: false}],
		},
		{
			name: 'system:basic-user',
			rules: [{apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create']}],
			resourceVersion: '61',
			owner: undefined,
			autoupdateDisabled: false,
			grants: [{binding: 'system:basic-user', role: 'system:basic-user', via: 'Group system:authenticated', shared: true}],
		},
	],
	lookalikeBindings: [],
	daemonSetOwner: undefined,
};

const denied = {allowed: false, reason: undefined};
const allowedByMultus = {allowed: true, reason: rbacAllowed};
const nadsListWatch = {apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['list', 'watch']};

export const diagnosis: Diagnosis = {
	// As declareChecks makes them for this DaemonSet: the families in the logs, every blocking verb's review, the rules.
	checks: [
		{id: 'pods-forbidden-logs', code: 'MULTUS-LOG-001', blocks: false, status: 'fail', kind: 'logs', family: 'pods-forbidden', count: 24},
		{id: 'nads-forbidden-logs', code: 'MULTUS-LOG-002', blocks: false, status: 'pass', kind: 'logs', family: 'nads-forbidden', count: 0},
		{id: 'pods-list-access', code: 'MULTUS-RBAC-001', blocks: true, status: 'fail', kind: 'access', question: {group: '', resource: 'pods', verb: 'list'}, answer: denied},
		{id: 'pods-watch-access', code: 'MULTUS-RBAC-002', blocks: true, status: 'fail', kind: 'access', question: {group: '', resource: 'pods', verb: 'watch'}, answer: denied},
		{id: 'network-attachment-definitions-list-access', code: 'MULTUS-RBAC-003', blocks: true, status: 'pass', kind: 'access', question: {group: nadsListWatch.apiGroups[0]!, resource: nadsListWatch.resources[0]!, verb: 'list'}, answer: allowedByMultus},
		{id: 'network-attachment-definitions-watch-access', code: 'MULTUS-RBAC-004', blocks: true, status: 'pass', kind: 'access', question: {group: nadsListWatch.apiGroups[0]!, resource: nadsListWatch.resources[0]!, verb: 'watch'}, answer: allowedByMultus},
		{id: 'rbac-rules', code: 'MULTUS-RULE-001', blocks: true, status: 'fail', kind: 'rules', level: 'blocking', missing: [podsListWatch], gaps: [{code: 'MULTUS-RULE-010', rule: podsListWatch}]},
		{id: 'rbac-advisory-rules', code: 'MULTUS-RULE-002', blocks: false, status: 'pass', kind: 'rules', level: 'advisory', missing: [], gaps: []},
	],
	logs: {
		state: 'found',
		podsRead: 3,
		podsSampled: ['kube-multus-ds-6prrj', 'kube-multus-ds-dtqbr', 'kube-multus-ds-s55d4'],
		bytesRead: 9471,
		count: 24,
		verbs: ['list'],
		users: [user],
		nodes: ['node-000000', 'node-000001', 'node-000002'],
		firstSeen: '2026-11-24T22:19:49.746000000Z',
		lastSeen: '2026-11-24T22:20:03.438000000Z',
		examples: [forbiddenExample],
		lookalikes: [],
		errors: [],
		families: {'pods-forbidden': 24, 'nads-forbidden': 0},
	},
	access: {list: denied, watch: denied},
	rules: {
		requirements: requiredRules('thick').map(requirement => ({...requirement, covered: rulesCover(rulesBefore, requirement.rule)})),
		missing: [podsListWatch],
		advisoryMissing: [],
	},
	verdict: 'broken',
	summary: "Broken: the thick daemon's pod informer cannot list or watch pods at cluster scope.",
};

export const plan: Plan = {
	role: 'multus',
	resourceVersion: '214',
	patch: {
		additions: [{kind: 'append-rule', rule: podsListWatch}],
		missing: [podsListWatch],
		before: rulesBefore,
		after: rulesAfter,
		jsonPatch: [
			{op: 'test', path: '/metadata/resourceVersion', value: '214'},
			{op: 'add', path: '/rules/-', value: podsListWatch},
		],
		empty: false,
	},
	owner: undefined,
	autoupdateDisabled: false,
	blocked: undefined,
	reconcileYaml: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: multus\nrules:\n  - apiGroups:\n      - ""\n    resources:\n      - pods\n    verbs:\n      - list\n      - watch\n',
	manifestYaml: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: multus\nrules: []\n',
	operations: [
		{op: 'test', path: '/metadata/resourceVersion', value: '214'},
		{op: 'add', path: '/rules/-', value: podsListWatch},
		{op: 'add', path: '/metadata/annotations/kubectl-multus.dev~1previous-rules', value: JSON.stringify(rulesBefore)},
		{op: 'add', path: '/metadata/annotations/kubectl-multus.dev~1change', value: '{"added":[{"apiGroups":[""],"resources":["pods"],"verbs":["list","watch"]}]}'},
	],
	permissions: [
		{description: 'patch ClusterRole multus', verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'multus', grant: 'clusterroles.rbac.authorization.k8s.io "multus": patch', allowed: true},
		{description: 'patch DaemonSet kube-system/kube-multus-ds', verb: 'patch', group: 'apps', resource: 'daemonsets', namespace: 'kube-system', name: 'kube-multus-ds', grant: 'daemonsets.apps "kube-multus-ds" in kube-system: patch', allowed: true},
		{description: 'create subjectaccessreviews (to verify the fix)', verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews', grant: 'subjectaccessreviews.authorization.k8s.io: create', allowed: true},
	],
	serverDryRun: 'passed',
	gains: ['ServiceAccount kube-system:multus (ClusterRoleBinding multus)'],
	reachUnseen: false,
};

export const patch: PatchResult = {role: 'multus', resourceVersion: '289', rulesAfter, dryRun: false, attempts: 1};

export const restart: RestartResult = {restartedAt: '2026-11-24T22:20:10Z', generation: 2, dryRun: false, strategy: 'RollingUpdate'};

const startedAt = Date.parse('2026-11-24T22:20:10.740Z');

/** One node replaced and ready, one old pod terminating, one not yet replaced. */
export const rolloutMidway: RolloutView = {
	status: {message: 'Waiting for daemon set "kube-multus-ds" rollout to finish: 1 out of 3 new pods have been updated...', done: false, error: undefined},
	progress: {
		desired: 3,
		updated: 1,
		ready: 2,
		available: 2,
		pending: [
			{node: 'node-000001', pod: 'kube-multus-ds-6prrj', reason: 'old pod terminating'},
			{node: 'node-000002', pod: 'kube-multus-ds-s55d4', reason: 'old pod, not yet replaced'},
		],
		pendingTotal: 2,
		counts: {done: 1, new: 0, old: 2},
		cells: ['done', 'old', 'old'],
		nodes: ['node-000000', 'node-000001', 'node-000002'],
		byNode: true,
	},
	startedAt,
	finishedAt: undefined,
	reconnects: 0,
};

export const rolloutDone: RolloutView = {
	status: {message: 'daemon set "kube-multus-ds" successfully rolled out', done: true, error: undefined},
	progress: {desired: 3, updated: 3, ready: 3, available: 3, pending: [], pendingTotal: 0, counts: {done: 3, new: 0, old: 0}, cells: ['done', 'done', 'done'], nodes: ['node-000000', 'node-000001', 'node-000002'], byNode: true},
	startedAt,
	finishedAt: startedAt + 339,
	reconnects: 0,
};

/** A rollout of `nodes` nodes, `done` of them replaced and ready, the next `fresh` new but not ready yet. */
export function largeRollout(nodes: number, done: number, fresh = 10): RolloutView {
	const byNode = nodes <= rolloutByNodeMaxNodes;
	const names = Array.from({length: nodes}, (_, index) => `node-${String(index).padStart(6, '0')}`);
	const cells = names.map((_, index) => (index < done ? 'done' : index < done + fresh ? 'new' : 'old') as 'done' | 'new' | 'old');
	const pending = names
		.map((node, index) => ({node, pod: `kube-multus-ds-p${index}`, reason: cells[index] === 'new' ? 'ContainerCreating' : 'old pod, not yet replaced'}))
		.filter((_, index) => cells[index] !== 'done');
	return {
		status: {message: `Waiting for daemon set "kube-multus-ds" rollout to finish: ${done + fresh} out of ${nodes} new pods have been updated...`, done: false, error: undefined},
		// As the runner builds it: node by node up to rolloutByNodeMaxNodes, counted (done, new, old) beyond.
		progress: {desired: nodes, updated: done + fresh, ready: nodes - fresh, available: nodes - fresh, pending: pending.slice(0, 10), pendingTotal: pending.length, counts: {done, new: fresh, old: nodes - done - fresh}, cells: byNode ? cells : [], nodes: byNode ? names : [], byNode},
		startedAt,
		finishedAt: undefined,
		reconnects: 0,
	};
}

export const verification: Verification = {
	// The access reviews asked again after the fix: every one allowed now.
	checks: diagnosis.checks
		.filter(check => check.kind === 'access')
		.map(check => ({...check, status: 'pass' as const, answer: {allowed: true, reason: rbacAllowed}})),
	access: {list: {allowed: true, reason: rbacAllowed}, watch: {allowed: true, reason: rbacAllowed}},
	logs: {
		state: 'clean',
		podsRead: 3,
		podsSampled: ['kube-multus-ds-447xt', 'kube-multus-ds-gncp8', 'kube-multus-ds-ptqnc'],
		bytesRead: 2787,
		count: 0,
		verbs: [],
		users: [],
		nodes: [],
		firstSeen: undefined,
		lastSeen: undefined,
		examples: [],
		lookalikes: [],
		errors: [],
		families: {'pods-forbidden': 0, 'nads-forbidden': 0},
	},
	proof: {
		mode: 'new',
		state: 'proven',
		reason: '',
		waitedMs: 612,
		pods: ['kube-multus-ds-447xt', 'kube-multus-ds-gncp8', 'kube-multus-ds-ptqnc'].map((pod, index) => ({
			pod,
			node: `node-00000${index}`,
			state: 'proven' as const,
			reason: 'its pod and NetworkAttachmentDefinition informers synced and it is ready (0.1 s after it started); no forbidden line since it started',
			syncMs: 100,
			readMs: 600,
			readyAt: '2026-11-24T22:20:11.100000000Z',
			provenAt: '2026-11-24T22:20:11.700Z',
		})),
	},
	passed: true,
	undo: 'kubectl multus undo   (removes what it added to ClusterRole multus, recorded in its kubectl-multus.dev/change annotation)',
};

export const fixedOutcome: Outcome = {verdict: 'fixed', exitCode: 0, message: `Fixed: ${user} may list and watch what Multus needs, and the 3 daemons read after the restart say so themselves: every informer synced, ready (in 0.1 s at most), no forbidden line since they started.`};
export const declinedOutcome: Outcome = {verdict: 'declined', exitCode: 1, message: 'Declined: nothing was changed.'};
export const checkOutcome: Outcome = {verdict: 'problem', exitCode: 1, message: 'Problem found (--check: nothing changed). Fix: pods [""]: list, watch on ClusterRole multus; run without --check to apply.'};

/** The events of a run up to and including the question. */
export const untilConfirm: DoctorEvent[] = [
	{type: 'step-started', step: 'connect'},
	{type: 'connected', connection},
	{type: 'step-started', step: 'find'},
	{type: 'found', found},
	{type: 'step-started', step: 'detect'},
	{type: 'diagnosed', diagnosis},
	{type: 'step-started', step: 'plan'},
	{type: 'planned', plan},
	{type: 'step-started', step: 'confirm'},
	{type: 'confirm-requested'},
];

/** After a yes: patch, restart, a rollout watched to the end. */
export const patchToRollout: DoctorEvent[] = [
	{type: 'confirm-answered', yes: true},
	{type: 'step-started', step: 'patch'},
	{type: 'patched', patch},
	{type: 'step-started', step: 'restart'},
	{type: 'restarted', restart},
	{type: 'step-started', step: 'rollout'},
	{type: 'rollout-progress', rollout: rolloutMidway},
];

export const rolloutToEnd: DoctorEvent[] = [
	{type: 'rollout-progress', rollout: rolloutDone},
	{type: 'step-started', step: 'verify'},
	{type: 'verified', verification},
	{type: 'finished', outcome: fixedOutcome},
];

/** The whole successful run. */
export const fixedRun: DoctorEvent[] = [...untilConfirm, ...patchToRollout, ...rolloutToEnd];

export const afterDecline: DoctorEvent[] = [
	{type: 'confirm-answered', yes: false},
	...(['patch', 'restart', 'rollout', 'verify'] as const).map(step => ({type: 'step-skipped', step}) as const),
	{type: 'finished', outcome: declinedOutcome},
];

/** --check: the plan is shown, nothing is asked. */
export const checkRun: DoctorEvent[] = [
	...untilConfirm.slice(0, -1),
	...(['patch', 'restart', 'rollout', 'verify'] as const).map(step => ({type: 'step-skipped', step}) as const),
	{type: 'finished', outcome: checkOutcome},
];

/** The state after feeding `events` to the reducer, as the UI would hold it. */
export function stateAfter(events: DoctorEvent[]): DoctorState {
	return events.reduce(doctorReducer, initialState());
}

export function doctorOptions(overrides: Partial<DoctorOptions> = {}): DoctorOptions {
	return {
		connection: {kubeconfig: undefined, context: undefined, cluster: undefined, user: undefined, namespace: undefined, as: undefined, asGroup: undefined, asUid: undefined, requestTimeoutMs: 30_000},
		output: 'text',
		check: false,
		yes: false,
		dryRun: 'none',
		restart: true,
		force: false,
		timeoutMs: 300_000,
		daemonSet: undefined,
		logPods: 5,
		logBytes: 262_144,
		interactive: true,
		color: true,
		...overrides,
	};
}

/** What a scripted flow saw: the answer it got, and the signal it was given. */
export interface FlowRecord {
	answers: boolean[];
	signal: AbortSignal | undefined;
	finished: Outcome | undefined;
}

function finish(io: DoctorIO, outcome: Outcome, record: FlowRecord): Outcome {
	io.dispatch({type: 'finished', outcome});
	record.finished = outcome;
	return outcome;
}

/** A cancel, said as the runner says it from what the flow did so far (`facts`). */
function cancelled(io: DoctorIO, step: string, record: FlowRecord, facts: ClusterFacts): Outcome {
	const note = clusterStateAfterCancel(facts);
	io.dispatch({type: 'note', note});
	return finish(io, {verdict: 'cancelled', exitCode: 1, message: `Cancelled during ${step}. ${note}`}, record);
}

/**
 * A stand-in for runDoctorFlow that replays the broken-thick run through the same DoctorIO, with the runner's
 * rules for answers and cancels. `holdRollout` keeps the rollout running until the signal aborts;
 * `ignoreAbort` makes it never finish at all (a step stuck in a request).
 */
export function scriptedFlow(options: {holdRollout?: boolean; ignoreAbort?: boolean} = {}) {
	const record: FlowRecord = {answers: [], signal: undefined, finished: undefined};
	const flow = async (_options: DoctorOptions, io: DoctorIO): Promise<Outcome> => {
		record.signal = io.signal;
		for (const event of untilConfirm) io.dispatch(event);
		const yes = await io.confirm(plan);
		record.answers.push(yes);
		io.dispatch({type: 'confirm-answered', yes});
		if (io.signal.aborted) return cancelled(io, 'confirm', record, {found, plan});
		if (!yes) {
			for (const event of afterDecline.slice(1, -1)) io.dispatch(event);
			return finish(io, declinedOutcome, record);
		}

		for (const event of patchToRollout.slice(1)) io.dispatch(event);
		if (options.ignoreAbort) return new Promise<Outcome>(() => {});
		if (options.holdRollout) {
			await new Promise(resolve => {
				io.signal.addEventListener('abort', resolve, {once: true});
			});
			return cancelled(io, 'rollout', record, {found, plan, patch, restart, rollout: rolloutMidway});
		}

		for (const event of rolloutToEnd.slice(0, -1)) io.dispatch(event);
		return finish(io, fixedOutcome, record);
	};
	return {flow, record};
}
