// What `kubectl multus report` collects, read-only: the doctor's own Connect, Find, Detect and Plan steps (in
// --check mode, on a KubeApi that refuses every write), so a finding in the report is the doctor's finding. What a
// caller may not read is not a failure of the report: it is a gap, said with the API server's own reason, and the
// checks that still can be judged are.
import type {V1DaemonSet, V1Pod, V1ServiceAccount} from '@kubernetes/client-node';
import {MultusError, type ErrorKind} from '../errors.js';
import type {KubeApi} from '../kube/client.js';
import {kubeApiAccess, readOnlyKubeApi} from '../kube/read-only.js';
import {managedBy} from '../multus/discovery.js';
import type {DoctorOptions, ReportOptions} from '../options.js';
import {declareChecks, probeFor} from '../doctor/checks.js';
import {selectorOf} from '../doctor/evidence.js';
import {initialState, stateKeeper, type DoctorState} from '../doctor/machine.js';
import {checkFindings, raisedFindings, type RaisedFinding} from '../doctor/raised.js';
import {finding as findings, findingPage, findingTitle} from '../multus/findings.js';
import type {CheckResult, Connection, Diagnosis, Found, LogEvidence, Plan} from '../doctor/model.js';
import {connectStep} from '../doctor/steps/connect.js';
import {detectStep} from '../doctor/steps/detect.js';
import {findDaemonSet, findStep} from '../doctor/steps/find.js';
import {planStep} from '../doctor/steps/plan.js';
import {say} from '../doctor/present.js';
import type {FlowEnv, StepContext} from '../doctor/steps/step.js';

/** Something the report could not collect, and the API server's (or the flow's) reason. */
export interface Gap {
	what: string;
	why: string;
	kind: ErrorKind;
}

/** A declared check that could not be judged: what it needed could not be read. */
export interface UnjudgedCheck {
	id: string;
	code: string;
	blocks: boolean;
	status: 'unknown';
	error: string;
	errorKind: ErrorKind;
}

export type CheckOutcome = CheckResult | UnjudgedCheck;

/** One sampled pod's log read, as the doctor's checks read it (the same read, recorded). */
export interface SampledLog {
	namespace: string;
	pod: string;
	container: string;
	node: string;
	limitBytes: number;
	text?: string;
	/** The read's size, once `text` is no longer the read itself (redacted). */
	bytes?: number;
	error?: string;
	errorKind?: ErrorKind;
}

/**
 * healthy / broken: the doctor's verdict (a blocking check failed, or none did and all were judged); incomplete: no
 * blocking check failed, but some could not be judged; not-found: no Multus DaemonSet.
 */
export type ReportVerdict = 'healthy' | 'broken' | 'incomplete' | 'not-found';

export interface Collected {
	generatedAt: string;
	connection: Connection;
	/** Who the API server took the collector for (SelfSubjectReview), when it could say. */
	caller: {username: string; groups: string[]} | undefined;
	/** The Multus found; `rolesRead` says whether its roles and bindings were read (else `roles` is empty). */
	found: Found | undefined;
	rolesRead: boolean;
	daemonSet: V1DaemonSet | undefined;
	serviceAccount: V1ServiceAccount | undefined;
	checks: CheckOutcome[];
	logs: LogEvidence | undefined;
	/** The doctor's diagnosis, when every check could be judged. */
	diagnosis: Diagnosis | undefined;
	/** The fix the doctor would make (broken only), or why it would refuse to make one. */
	plan: Plan | undefined;
	planRefused: {message: string; hint: string | undefined} | undefined;
	samples: SampledLog[];
	/** The nodes of every pod read (host names, for redaction). */
	nodes: string[];
	verdict: ReportVerdict;
	summary: string;
	gaps: Gap[];
	/** Every finding raised, by code, as the doctor raises them (source/doctor/raised.ts). */
	raised: RaisedFinding[];
}

/** The doctor's options for a check-only run with the report's connection and sample. */
function checkOnly(options: ReportOptions): DoctorOptions {
	return {
		connection: options.connection,
		output: 'json',
		check: true,
		yes: false,
		dryRun: 'none',
		restart: false,
		force: false,
		timeoutMs: 0,
		daemonSet: options.daemonSet,
		logPods: options.logPods,
		logBytes: options.logBytes,
		interactive: false,
		color: false,
	};
}

/** Records the pods listed and the logs read through it, for the excerpts (no second read of any log). */
function recorder(client: KubeApi) {
	const pods = new Map<string, V1Pod>();
	const samples: SampledLog[] = [];
	const recorded: KubeApi = {
		...bound(client),
		async listPods(namespace, labelSelector, limit, page) {
			const answer = await client.listPods(namespace, labelSelector, limit, page);
			for (const pod of answer.items) pods.set(`${pod.metadata?.namespace ?? namespace}/${pod.metadata?.name ?? ''}`, pod);
			return answer;
		},
		async readPodLog(namespace, name, container, limitBytes, sinceTime) {
			const node = pods.get(`${namespace}/${name}`)?.spec?.nodeName ?? '';
			const sample: SampledLog = {namespace, pod: name, container, node, limitBytes};
			samples.push(sample);
			try {
				sample.text = await client.readPodLog(namespace, name, container, limitBytes, sinceTime);
				return sample.text;
			} catch (error) {
				const {why, kind} = gapOf('', error);
				sample.error = why;
				sample.errorKind = kind;
				throw error;
			}
		},
	};
	const nodes = () => [...new Set([...pods.values()].map(pod => pod.spec?.nodeName ?? '').filter(Boolean))];
	return {client: recorded, samples, nodes};
}

/** Every KubeApi method of `client`, bound to it (a spread of a class instance would copy none). */
function bound(client: KubeApi): KubeApi {
	const methods: Record<string, unknown> = {};
	for (const name of Object.keys(kubeApiAccess) as Array<keyof KubeApi>) methods[name] = (client[name] as (...args: unknown[]) => unknown).bind(client);
	return methods as unknown as KubeApi;
}

function gapOf(what: string, error: unknown): Gap {
	if (error instanceof MultusError) return {what, why: error.message, kind: error.kind};
	return {what, why: error instanceof Error ? error.message : String(error), kind: 'Internal'};
}

/** Fatal for the report: it cannot talk to the cluster at all, or the user must say more (-n, --daemonset). */
function fatal(error: unknown): boolean {
	return error instanceof MultusError && (error.kind === 'Usage' || error.kind === 'Config' || error.kind === 'Unreachable' || error.kind === 'Unauthorized' || error.kind === 'NotKubernetes' || error.kind === 'Timeout');
}

/**
 * Collects the report. Throws only when there is nothing to report on (cannot connect, a usage error such as
 * two Multus installs); everything else the caller may not read becomes a gap.
 */
export async function collectReport(options: ReportOptions, env: FlowEnv, signal: AbortSignal): Promise<Collected> {
	const collected = await collect(options, env, signal);
	return {...collected, gaps: [...collected.gaps, ...logGaps(collected.samples)]};
}

/** A finding by its code, with one detail. */
function raisedOf(code: string, detail: string): RaisedFinding {
	return {code, title: findingTitle(code) ?? '', page: findingPage(code), details: detail ? [detail] : []};
}

/**
 * The findings raised: the doctor's own list from the state its steps built; where the checks were judged one by one
 * (the diagnosis is not in the state), each check's as the doctor would raise it. `extra` comes last (the plan's
 * refusal), each code once.
 */
function raisedFrom(state: DoctorState, checks: CheckOutcome[] | undefined, logs: LogEvidence | undefined, extra: RaisedFinding[] = []): RaisedFinding[] {
	const all = [...raisedFindings(state)];
	if (!state.diagnosis && checks && state.found) {
		for (const check of checks) if (!('error' in check)) for (const [code, detail] of checkFindings(check, state.found.identity.user)) all.push(raisedOf(code, detail));
		if (logs?.state === 'unavailable') all.push(raisedOf(findings.logsUnreadable.code, logs.errors[0] ?? 'no pods'));
	}
	all.push(...extra);
	const byCode = new Map<string, RaisedFinding>();
	for (const raised of all) {
		const known = byCode.get(raised.code);
		if (!known) byCode.set(raised.code, {...raised, details: [...raised.details]});
		else for (const detail of raised.details) if (!known.details.includes(detail)) known.details.push(detail);
	}
	return [...byCode.values()];
}

/** The logs that could not be read, one gap per kind of failure (a caller without pods/log: every pod, one reason). */
function logGaps(samples: SampledLog[]): Gap[] {
	const byKind = new Map<ErrorKind, SampledLog[]>();
	for (const sample of samples) if (sample.error !== undefined) byKind.set(sample.errorKind ?? 'Internal', [...(byKind.get(sample.errorKind ?? 'Internal') ?? []), sample]);
	return [...byKind].map(([kind, failed]) => ({
		what: `the log${failed.length > 1 ? 's' : ''} of ${failed.length > 1 ? `${failed.length} pods` : 'pod'} ${failed.map(sample => `${sample.namespace}/${sample.pod}`).join(', ')}`,
		why: failed[0]!.error!,
		kind,
	}));
}

async function collect(options: ReportOptions, env: FlowEnv, signal: AbortSignal): Promise<Collected> {
	const gaps: Gap[] = [];
	let recorded: ReturnType<typeof recorder> | undefined;
	const kept = stateKeeper();
	const context: StepContext = {
		options: checkOnly(options),
		env: {
			connect(connection) {
				const {client, info} = env.connect(connection);
				recorded = recorder(readOnlyKubeApi(client));
				return {client: recorded.client, info};
			},
		},
		signal,
		facts: {attempt: 1},
		emit: kept.observe,
		confirm: async () => false,
		changeTurn: async () => undefined,
		inDoubt: {budgetMs: 0, signal, onNote: () => {}},
	};
	const generatedAt = new Date().toISOString();
	await connectStep.run(context);
	const connection = context.facts.connection!;
	const client = context.facts.client!;
	const samples = recorded!.samples;
	const rec = recorded!;
	// Who the API server takes the caller for (kubectl auth whoami): what the reader of a report needs to know of
	// the collector's access, which the kubeconfig's user name does not say. Best effort: older servers lack it.
	const caller = await client.whoAmI().catch((error: unknown) => {
		if (fatal(error)) throw error;
		return undefined;
	});
	// A getter: the pods are listed later, by Find and the checks.
	const base = {
		generatedAt, connection, caller, samples, gaps, diagnosis: undefined, plan: undefined, planRefused: undefined,
		get nodes() {
			return rec.nodes();
		},
	};

	// Find: the whole step, or without the roles when they cannot be read.
	let found: Found;
	let rolesRead = true;
	let daemonSet: V1DaemonSet | undefined;
	try {
		await findStep.run(context);
		found = context.facts.found!;
	} catch (error) {
		if (fatal(error)) throw error;
		if (error instanceof MultusError && error.kind === 'NotFound') {
			const raised = error.finding ? [raisedOf(error.finding, error.message)] : [];
			return {...base, found: undefined, rolesRead: false, daemonSet: undefined, serviceAccount: undefined, checks: [], logs: undefined, verdict: 'not-found', summary: error.message, raised};
		}
		let partial;
		try {
			partial = await findDaemonSet(client, context.options);
		} catch (again) {
			if (fatal(again)) throw again;
			gaps.push(gapOf('the Multus DaemonSet', again));
			return {...base, found: undefined, rolesRead: false, daemonSet: undefined, serviceAccount: undefined, checks: [], logs: undefined, verdict: 'incomplete', summary: 'The Multus DaemonSet could not be read, so nothing could be judged.', raised: []};
		}
		gaps.push(gapOf(`the ClusterRoleBindings and ClusterRoles that grant ${partial.identity.user}`, error));
		rolesRead = false;
		daemonSet = partial.ds;
		found = {
			daemonSet: partial.multus,
			desired: partial.ds.status?.desiredNumberScheduled ?? 0,
			ready: partial.ds.status?.numberReady ?? 0,
			selector: selectorOf(partial.ds),
			identity: partial.identity,
			roles: [],
			lookalikeBindings: [],
			daemonSetOwner: managedBy(partial.ds.metadata),
		};
		context.facts.found = found;
		const serviceAccount = await serviceAccountOf(client, found, gaps);
		const judged = await judge(context, client, found, rolesRead, error, gaps);
		const raised = raisedFrom({...initialState(), found}, judged.checks, judged.logs);
		return {...judged, ...base, found, rolesRead, daemonSet, serviceAccount, raised};
	}
	daemonSet = await client.readDaemonSet(found.daemonSet.namespace, found.daemonSet.name).catch((error: unknown) => {
		gaps.push(gapOf(`DaemonSet ${found.daemonSet.namespace}/${found.daemonSet.name}`, error));
		return undefined;
	});
	const serviceAccount = await serviceAccountOf(client, found, gaps);

	// Detect: the whole step; when a check cannot be asked (an access review the caller may not create), each
	// check on its own, so that those that can be judged are.
	try {
		const end = await detectStep.run(context);
		const diagnosis = context.facts.diagnosis!;
		let plan: Plan | undefined;
		let planRefused: Collected['planRefused'];
		const refusal: RaisedFinding[] = [];
		if (end.type === 'done') {
			try {
				await planStep.run(context);
				plan = context.facts.plan;
				if (plan?.reachUnseen) {
					// Who else the role reaches is unknown: no fix is offered that could give them the rules too.
					planRefused = say.reachUnseen(plan);
					gaps.push({what: 'the RoleBindings in all namespaces (who else the role the fix would change reaches)', why: 'forbidden: the caller may not list them', kind: 'Forbidden'});
					plan = undefined;
				}
			} catch (error) {
				if (fatal(error)) throw error;
				if (error instanceof MultusError && error.kind === 'Invalid') {
					planRefused = {message: error.message, hint: error.hint};
					if (error.finding) refusal.push(raisedOf(error.finding, error.message));
				} else gaps.push(gapOf('the fix the doctor would make', error));
			}
		}
		const raised = raisedFrom(kept.state, diagnosis.checks, diagnosis.logs, refusal);
		return {...base, found, rolesRead, daemonSet, serviceAccount, checks: diagnosis.checks, logs: diagnosis.logs, diagnosis, plan, planRefused, verdict: diagnosis.verdict, summary: diagnosis.summary, raised};
	} catch (error) {
		if (fatal(error)) throw error;
		const judged = await judge(context, client, found, rolesRead, undefined, gaps);
		const raised = raisedFrom({...kept.state, diagnosis: undefined}, judged.checks, judged.logs);
		return {...judged, ...base, found, rolesRead, daemonSet, serviceAccount, raised};
	}
}

async function serviceAccountOf(client: KubeApi, found: Found, gaps: Gap[]): Promise<V1ServiceAccount | undefined> {
	const {namespace, serviceAccount} = found.daemonSet;
	try {
		return await client.readServiceAccount(namespace, serviceAccount);
	} catch (error) {
		gaps.push(gapOf(`ServiceAccount ${namespace}/${serviceAccount}`, error));
		return undefined;
	}
}

/**
 * The declared checks one by one: each is judged if what it asks can be read. `rolesError`, when the roles could
 * not be read, is what a check that needs them fails with (it is not judged on an empty list of roles).
 */
async function judge(context: StepContext, client: KubeApi, found: Found, rolesRead: boolean, rolesError: unknown, gaps: Gap[]): Promise<Pick<Collected, 'checks' | 'logs' | 'verdict' | 'summary'>> {
	const unreadRoles = rolesError instanceof Error ? rolesError.message : 'the roles could not be read';
	const probeFound: Found = rolesRead
		? found
		: Object.defineProperty({...found}, 'roles', {
				get() {
					throw new MultusError('Forbidden', unreadRoles);
				},
			});
	const probe = probeFor(client, probeFound, context.options, context.signal);
	const checks: CheckOutcome[] = await Promise.all(
		declareChecks(probeFound).map(async (check): Promise<CheckOutcome> => {
			try {
				return await check.run(probe);
			} catch (error) {
				const {why, kind} = gapOf(check.id, error);
				return {id: check.id, code: check.code, blocks: check.blocks, status: 'unknown', error: why, errorKind: kind};
			}
		}),
	);
	let logs: LogEvidence | undefined;
	try {
		logs = await probe.logs();
	} catch (error) {
		gaps.push(gapOf(`the pods of DaemonSet ${found.daemonSet.namespace}/${found.daemonSet.name} (for their logs)`, error));
	}
	// One gap per reason (the same forbidden access review stops every access check), not per check.
	const byReason = new Map<string, UnjudgedCheck[]>();
	for (const check of checks) if ('error' in check && check.error !== unreadRoles) byReason.set(check.error, [...(byReason.get(check.error) ?? []), check]);
	for (const [why, same] of byReason) gaps.push({what: `check${same.length > 1 ? 's' : ''} ${same.map(check => check.id).join(', ')}`, why, kind: same[0]!.errorKind});
	const failed = checks.filter(check => check.blocks && check.status === 'fail');
	const unjudged = checks.filter(check => check.blocks && 'error' in check);
	const verdict: ReportVerdict = failed.length > 0 ? 'broken' : unjudged.length > 0 ? 'incomplete' : 'healthy';
	const summary =
		verdict === 'broken'
			? `Broken: ${failed.map(check => check.id).join(', ')} failed${unjudged.length > 0 ? `; ${unjudged.length} other blocking check(s) could not be judged` : ''}.`
			: verdict === 'incomplete'
				? `Not judged: ${unjudged.length} blocking check(s) could not be asked (${unjudged.map(check => check.id).join(', ')}); none of those that could failed.${logs && logs.count > 0 ? ` The sampled logs hold ${logs.count} forbidden line(s): the daemon was denied when it printed them.` : ''}`
				: `Healthy: every blocking check passed.`;
	return {checks, logs, verdict, summary};
}
