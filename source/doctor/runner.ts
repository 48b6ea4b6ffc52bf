import type {V1ClusterRole, V1ConfigMap, V1DaemonSet, V1Pod, V1PolicyRule} from '@kubernetes/client-node';
import {MultusError, usageError} from '../errors.js';
import {ExitCode} from '../exit-codes.js';
import type {KubeApi} from '../kube/client.js';
import type {ConnectionInfo} from '../kube/config.js';
import type {ConnectionOptions} from '../options.js';
import {
	grantsForIdentity,
	lookalikeBindings,
	managedBy,
	mountedConfigMaps,
	optedOutOfAutoupdate,
	perNodeCertificateIdentity,
	recogniseMultus,
	serviceAccountIdentity,
	type MultusDaemonSet,
} from '../multus/discovery.js';
import {aggregationSources, describeRule, missingRules, planRolePatch, rulesCover} from '../multus/rbac.js';
import {advisoryRules, blockingRules, requiredRules} from '../multus/requirements.js';
import {
	daemonSetRolloutStatus,
	podIsNew,
	podTemplateGeneration,
	rolloutCadence,
	rolloutIsByNode,
	rolloutProgress,
	summarisePod,
	type PodSample,
	type PodSummary,
} from '../multus/rollout.js';
import {resolveRelease} from '../multus/versions.js';
import type {DoctorOptions} from '../options.js';
import {formatDuration} from '../duration.js';
import {bounded, pause} from '../timers.js';
import {accessEvidence, logEvidence, selectorOf} from './evidence.js';
import type {DoctorEvent, DoctorState} from './machine.js';
import type {BoundRole, Diagnosis, Found, Outcome, PermissionCheck, Plan, RolloutView, StepId} from './model.js';
import {patchRoleResolvingDoubt, restartResolvingDoubt, StillInDoubt, type InDoubtOptions} from './in-doubt.js';
import {changeRecord, recordOperations, reconcileYaml, roleManifest} from './record.js';
import {undoHint} from './present.js';

/** What the flow needs from whoever drives it (the Ink app, the plain printer, or JSON output). */
export interface DoctorIO {
	dispatch(event: DoctorEvent): void;
	getState(): DoctorState;
	/** Ask the user to apply the plan. The plain path answers from --yes. */
	confirm(plan: Plan): Promise<boolean>;
	/** Aborted on Ctrl-C: the running step stops at its next safe point. */
	signal: AbortSignal;
}

/** Where the flow's cluster comes from: client-node for the command (connectKube), an in-memory cluster in tests. */
export interface FlowEnv {
	/** The client for the connection flags; throws a MultusError (Config, Usage) the Connect step reports. */
	connect(connection: ConnectionOptions): {client: KubeApi; info: ConnectionInfo};
	/** Pauses between read-backs of a write that got no answer (the last one repeats); tests pass zeros. */
	readBackDelaysMs?: number[];
}

class Cancelled extends Error {}

function outcome(verdict: Outcome['verdict'], exitCode: number, message: string): Outcome {
	return {verdict, exitCode, message};
}


/** Runs the doctor from Connect to Verify, dispatching an event at every change; returns the outcome. */
export async function runDoctorFlow(options: DoctorOptions, io: DoctorIO, env: FlowEnv): Promise<Outcome> {
	const {dispatch, signal} = io;
	let step: StepId = 'connect';
	const start = (id: StepId) => {
		if (signal.aborted) throw new Cancelled();
		step = id;
		dispatch({type: 'step-started', step: id});
	};
	const finish = (result: Outcome): Outcome => {
		dispatch({type: 'finished', outcome: result});
		return result;
	};

	try {
		// 1. Connect
		start('connect');
		const {client, info} = env.connect(options.connection);
		const serverVersion = await client.serverVersion();
		dispatch({type: 'connected', connection: {...info, serverVersion}});

		// 2. Find Multus
		start('find');
		const found = await findMultus(client, options);
		dispatch({type: 'found', found});

		// 3. Detect
		start('detect');
		const diagnosis = await detect(client, found, options, signal);
		dispatch({type: 'diagnosed', diagnosis});
		if (diagnosis.verdict === 'healthy') {
			for (const id of ['plan', 'confirm', 'patch', 'restart', 'rollout', 'verify'] as const) dispatch({type: 'step-skipped', step: id});
			return finish(outcome('healthy', ExitCode.Ok, diagnosis.summary));
		}

		// A write that gets no answer is read back (until the server answers, at most --timeout) before anything
		// is said about it: landed, or sent again.
		const inDoubt: InDoubtOptions = {budgetMs: options.timeoutMs, signal, onNote: note => dispatch({type: 'note', note}), ...(env.readBackDelaysMs ? {delaysMs: env.readBackDelaysMs} : {})};

		// 4-6. Plan, confirm, patch; a concurrent change to the role sends us back to the plan.
		let patched: {role: string; rulesAfter: V1PolicyRule[]} | undefined;
		let applied: Plan | undefined;
		for (let attempt = 1; !patched; attempt++) {
			start('plan');
			const plan = await makePlan(client, found, options);
			applied = plan;
			dispatch({type: 'planned', plan});
			if (plan.patch.empty && options.check) {
				for (const id of ['confirm', 'patch', 'restart', 'rollout', 'verify'] as const) dispatch({type: 'step-skipped', step: id});
				return finish(outcome('problem', ExitCode.ProblemFound, `Problem found (--check: nothing changed): ClusterRole ${plan.role} already grants the rules, yet the access review denies list/watch on pods.`));
			}
			if (plan.patch.empty) {
				dispatch({type: 'note', note: `ClusterRole ${plan.role} already grants what is needed; nothing to patch.`});
				patched = {role: plan.role, rulesAfter: plan.patch.before};
				dispatch({type: 'step-skipped', step: 'confirm'});
				dispatch({type: 'step-skipped', step: 'patch'});
				break;
			}

			start('confirm');
			const stop = gate(plan, options);
			if (stop) {
				for (const id of ['patch', 'restart', 'rollout', 'verify'] as const) dispatch({type: 'step-skipped', step: id});
				if (stop instanceof MultusError) throw stop;
				return finish(stop);
			}
			dispatch({type: 'confirm-requested'});
			const yes = await io.confirm(plan);
			dispatch({type: 'confirm-answered', yes});
			if (signal.aborted) throw new Cancelled();
			if (!yes) {
				for (const id of ['patch', 'restart', 'rollout', 'verify'] as const) dispatch({type: 'step-skipped', step: id});
				return finish(
					outcome('declined', ExitCode.ProblemFound, options.interactive
						? 'Declined: nothing was changed.'
						: 'Nothing was changed: without a terminal, changes need --yes (or use --dry-run to preview).'),
				);
			}

			start('patch');
			try {
				const {value: role} = await patchRoleResolvingDoubt(client, plan, inDoubt);
				patched = {role: plan.role, rulesAfter: role.rules ?? []};
				dispatch({
					type: 'patched',
					patch: {role: plan.role, resourceVersion: role.metadata?.resourceVersion, rulesAfter: role.rules ?? [], dryRun: false, attempts: attempt},
				});
			} catch (error) {
				if (error instanceof MultusError && error.kind === 'Conflict' && attempt < 3) {
					dispatch({type: 'conflict', note: `ClusterRole ${plan.role} changed while we were asking (someone else wrote it): re-reading it and planning again.`});
					continue;
				}
				throw error;
			}
		}

		// The aggregation controller copies a patched source into the aggregate asynchronously: let it, before verifying.
		if (applied?.aggregate && !applied.patch.empty) await waitForAggregation(client, applied.aggregate.role, blockingRules(found.daemonSet.mode), signal);

		// 7. Restart and watch
		const dsName = `${found.daemonSet.namespace}/${found.daemonSet.name}`;
		let restartedDs: V1DaemonSet | undefined;
		if (!options.restart) {
			dispatch({type: 'step-skipped', step: 'restart', note: `--no-restart: DaemonSet ${dsName} not restarted. Its reflectors retry with backoff and recover by themselves; restart later with kubectl -n ${found.daemonSet.namespace} rollout restart ds/${found.daemonSet.name}.`});
			dispatch({type: 'step-skipped', step: 'rollout'});
		} else {
			start('restart');
			const current = await client.readDaemonSet(found.daemonSet.namespace, found.daemonSet.name);
			const strategy = current.spec?.updateStrategy?.type ?? 'RollingUpdate';
			if (strategy !== 'RollingUpdate') {
				dispatch({
					type: 'step-skipped',
					step: 'restart',
					note: `DaemonSet ${dsName} uses the ${strategy} update strategy: a restart only replaces pods when they are deleted, so the doctor does not restart or wait. The reflectors recover by themselves; to restart now, delete the pods node by node: kubectl -n ${found.daemonSet.namespace} delete pod -l ${found.selector} --field-selector spec.nodeName=NODE`,
				});
				dispatch({type: 'step-skipped', step: 'rollout'});
			} else {
				const restartedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
				restartedDs = (await restartResolvingDoubt(client, found.daemonSet.namespace, found.daemonSet.name, restartedAt, inDoubt)).value;
				dispatch({type: 'restarted', restart: {restartedAt, generation: restartedDs.metadata?.generation ?? 0, dryRun: false, strategy}});

				start('rollout');
				restartedDs = await watchRollout(client, found, restartedDs, options, io);
			}
		}

		// 8. Verify
		start('verify');
		const access = await accessEvidence(client, found.identity);
		let podsToCheck: V1Pod[] = [];
		if (restartedDs) {
			// Only the new template's pods, and only as many as we read logs from: never all pods of a big fleet.
			const generation = podTemplateGeneration(restartedDs);
			const pods = await client.listPods(found.daemonSet.namespace, `${found.selector},pod-template-generation=${generation}`, options.logPods * 2);
			podsToCheck = pods.items.filter(pod => podIsNew(pod, generation)).slice(0, options.logPods);
		}
		const logs = podsToCheck.length > 0
			? await logEvidence(client, podsToCheck, found.daemonSet.container, options.logBytes, signal)
			: {...emptyLogs(), state: 'unavailable' as const, errors: restartedDs ? ['no new pods to read'] : ['not restarted: old pods keep their old log lines']};
		const passed = access.list.allowed && access.watch.allowed && logs.count === 0;
		const undo = undoHint(patched.role, options.connection.context);
		dispatch({type: 'verified', verification: {access, logs, passed, undo}});
		if (!passed) {
			const why = !access.list.allowed || !access.watch.allowed
				? `the access review still denies ${[!access.list.allowed && 'list', !access.watch.allowed && 'watch'].filter(Boolean).join(' and ')} on pods`
				: `${logs.count} forbidden line(s) in the new pods' logs`;
			return finish(outcome('problem', ExitCode.ProblemFound, `Patched, but verification failed: ${why}.`));
		}
		return finish(outcome('fixed', ExitCode.Ok, `Fixed: ${found.identity.user} can list and watch pods cluster-wide${logs.state === 'clean' ? ', and the new pods log no forbidden error' : ''}.`));
	} catch (error) {
		if (error instanceof Cancelled || (signal.aborted && !(error instanceof MultusError && error.kind !== 'Cancelled'))) {
			// Stopped while a write that got no answer was being read back: it is still in doubt.
			const state = error instanceof StillInDoubt ? writeInDoubt(io.getState(), step) : clusterStateAfterCancel(io.getState());
			dispatch({type: 'note', note: state});
			return finish(outcome('cancelled', ExitCode.ProblemFound, `Cancelled during ${step}. ${state}`));
		}
		const failure = error instanceof MultusError ? error : new MultusError('Internal', error instanceof Error ? error.message : String(error));
		dispatch({type: 'failed', failure: {step, kind: failure.kind, message: failure.message, hint: failure.hint}});
		// A write that got no answer may have been applied all the same: say so, never "nothing was changed".
		const unanswered = (failure.kind === 'Timeout' || failure.kind === 'Unreachable') && ['patch', 'restart'].includes(step);
		const note = unanswered ? writeInDoubt(io.getState(), step) : clusterStateAfterCancel(io.getState());
		return finish({verdict: 'failed', exitCode: failure.exitCode, message: `${failure.message}. ${note}`});
	}
}

function emptyLogs() {
	return {
		state: 'clean' as const, podsRead: 0, podsSampled: [], bytesRead: 0, count: 0, verbs: [], users: [], nodes: [],
		firstSeen: undefined, lastSeen: undefined, examples: [], lookalikes: [], errors: [],
	};
}

/** What the cluster looks like after a stop at the current point, in one sentence. */
export function clusterStateAfterCancel(state: DoctorState): string {
	if (state.patch && !state.patch.dryRun) {
		const role = state.patch.role;
		if (state.rollout?.finishedAt) return `ClusterRole ${role} was patched and the DaemonSet rolled out; only verification did not finish.`;
		if (state.restart) {
			return `ClusterRole ${role} was patched and the DaemonSet restart was started; the DaemonSet controller finishes the rollout by itself (kubectl -n ${state.found?.daemonSet.namespace} rollout status ds/${state.found?.daemonSet.name}).`;
		}
		return `ClusterRole ${role} was patched (${state.plan?.patch.missing.map(describeRule).join('; ') ?? 'rules added'}); the DaemonSet was not restarted (its pods recover by themselves, or run kubectl -n ${state.found?.daemonSet.namespace} rollout restart ds/${state.found?.daemonSet.name}).`;
	}
	return 'Nothing in the cluster was changed.';
}

/** What the cluster may look like when the patch or the restart request got no answer. */
function writeInDoubt(state: DoctorState, step: StepId): string {
	const role = state.plan?.role ?? 'the ClusterRole';
	const ds = state.found ? `${state.found.daemonSet.namespace}/${state.found.daemonSet.name}` : 'the DaemonSet';
	if (step === 'patch') {
		return `ClusterRole ${role} may or may not have been patched (the request got no answer): kubectl get clusterrole ${role} -o yaml shows it (a kubectl-multus.dev/change annotation means it was); run the doctor again once the cluster answers.`;
	}
	return `ClusterRole ${role} was patched; the restart of DaemonSet ${ds} may or may not have been applied (the request got no answer): kubectl -n ${state.found?.daemonSet.namespace} rollout status ds/${state.found?.daemonSet.name} shows it.`;
}

/** Decides, before asking, whether the plan may be applied at all here; returns why not, or undefined. */
function gate(plan: Plan, options: DoctorOptions): Outcome | MultusError | undefined {
	if (options.check) {
		return outcome('problem', ExitCode.ProblemFound, `Problem found (--check: nothing changed). Fix: ${plan.patch.missing.map(describeRule).join('; ')} on ClusterRole ${plan.role}; run without --check to apply.`);
	}
	if (plan.blocked === 'autoupdate') {
		return outcome('managed', ExitCode.ProblemFound, `ClusterRole ${plan.role} opted out of automatic updates (rbac.authorization.kubernetes.io/autoupdate: "false"), so the doctor does not write it, like kubectl auth reconcile. Add the rules by hand or change the annotation.`);
	}
	if (plan.blocked === 'managed' && !options.force) {
		return outcome('managed', ExitCode.ProblemFound, `ClusterRole ${plan.role} is managed by ${plan.owner?.name}; a manual patch would be reverted. Fix it at the source: ${plan.owner?.fix}. (--force patches it anyway.)`);
	}
	const missing = plan.permissions.filter(permission => !permission.allowed && !permission.optional);
	if (missing.length > 0 && options.dryRun !== 'client') {
		return new MultusError('Forbidden', `you lack permission to apply the fix: ${missing.map(p => p.description).join('; ')}`, {
			hint: `ask an admin to grant: ${missing.map(p => p.grant).join('; ')}`,
		});
	}
	if (options.dryRun !== 'none') {
		return outcome('dry-run', ExitCode.ProblemFound, `Dry run (${options.dryRun}${plan.serverDryRun === 'passed' ? ', accepted by the API server' : ''}): nothing changed. Run without --dry-run to apply.`);
	}
	return undefined;
}

/** Finds the one Multus DaemonSet, its ServiceAccount, and the ClusterRoles bound to it. */
async function findMultus(client: KubeApi, options: DoctorOptions): Promise<Found> {
	const namespace = options.connection.namespace;
	const daemonSets = await client.listDaemonSets(namespace);
	if (namespace && daemonSets.length === 0 && !(await client.namespaceExists(namespace))) {
		throw usageError(`namespace "${namespace}" does not exist`, 'check -n (kubectl get namespaces), or leave it out to search all namespaces');
	}
	let candidates = daemonSets.map(ds => ({ds, multus: recogniseMultus(ds)})).filter((c): c is {ds: V1DaemonSet; multus: MultusDaemonSet} => c.multus !== undefined);
	if (options.daemonSet) {
		const named = daemonSets.filter(ds => ds.metadata?.name === options.daemonSet);
		if (named.length === 0) {
			throw new MultusError('NotFound', `no DaemonSet "${options.daemonSet}" in ${namespace ? `namespace ${namespace}` : 'any namespace'}`, {hint: 'check the name with kubectl get ds -A'});
		}
		candidates = named.map(ds => ({ds, multus: recogniseMultus(ds) ?? fallbackMultus(ds)}));
	}
	if (candidates.length === 0) {
		throw new MultusError('NotFound', `no Multus DaemonSet found in ${namespace ? `namespace ${namespace}` : 'any namespace'} (looked for multus images, app/name=multus labels, kube-multus containers, multus-daemon or thin_entrypoint commands)`, {
			hint: 'if Multus runs under another name, point at it with -n NAMESPACE --daemonset NAME',
		});
	}
	if (candidates.length > 1) {
		throw usageError(
			`Multus is installed more than once: ${candidates.map(c => `${c.multus.namespace}/${c.multus.name} (${c.multus.mode})`).join(', ')}`,
			'pick one with -n NAMESPACE and/or --daemonset NAME, and consider removing the duplicate install',
		);
	}
	const {ds} = candidates[0]!;
	let {multus} = candidates[0]!;
	// The thick daemon's config (a mounted ConfigMap) may turn on per-node certificates: read it, best effort.
	if (multus.mode === 'thick' && !multus.perNodeCertificates) {
		const configMaps = await Promise.all(mountedConfigMaps(ds).map(name => client.readConfigMap(multus.namespace, name).catch(() => undefined)));
		const withConfig = recogniseMultus(ds, configMaps.filter((cm): cm is V1ConfigMap => cm !== undefined));
		if (withConfig?.perNodeCertificates) multus = {...multus, perNodeCertificates: true};
	}
	let identity = serviceAccountIdentity(multus.namespace, multus.serviceAccount);
	if (multus.perNodeCertificates) {
		// Every node's daemon is its own user in the same group: one node's identity stands for all.
		const pod = (await client.listPods(multus.namespace, selectorOf(ds), 1)).items[0];
		identity = perNodeCertificateIdentity(pod?.spec?.nodeName ?? 'unscheduled');
	}
	const bindings = await client.listClusterRoleBindings();
	const grants = grantsForIdentity(bindings, identity);
	// An operator that owns the DaemonSet renders and reconciles its RBAC too, even where the role carries no marker.
	const daemonSetOwner = managedBy(ds.metadata);
	const operator = daemonSetOwner?.kind === 'operator' ? daemonSetOwner : undefined;
	const roleNames = [...new Set(grants.map(g => g.role))];
	// One request for all roles, whatever the number of bindings (a cluster has hundreds of roles, not millions).
	const rolesByName = new Map((roleNames.length > 1 ? await client.listClusterRoles() : await Promise.all(roleNames.map(name => client.readClusterRole(name).catch(error => {
		if (error instanceof MultusError && error.kind === 'NotFound') return undefined;
		throw error;
	})))).filter((role): role is V1ClusterRole => role !== undefined).map(role => [role.metadata?.name ?? '', role]));
	const roles: BoundRole[] = [];
	for (const name of roleNames) {
		const role = rolesByName.get(name);
		if (!role) continue; // a binding to a missing role grants nothing
		roles.push({
			name,
			rules: role.rules ?? [],
			resourceVersion: role.metadata?.resourceVersion,
			owner: managedBy(role.metadata) ?? operator,
			autoupdateDisabled: optedOutOfAutoupdate(role),
			grants: grants.filter(g => g.role === name),
		});
	}
	return {
		daemonSet: multus,
		desired: ds.status?.desiredNumberScheduled ?? 0,
		ready: ds.status?.numberReady ?? 0,
		selector: selectorOf(ds),
		identity,
		roles,
		lookalikeBindings: lookalikeBindings(bindings, multus.namespace, multus.serviceAccount),
		daemonSetOwner,
	};
}

function fallbackMultus(ds: V1DaemonSet): MultusDaemonSet {
	const container = ds.spec?.template.spec?.containers[0];
	return {
		namespace: ds.metadata?.namespace ?? '',
		name: ds.metadata?.name ?? '',
		mode: /multus-daemon/.test([...(container?.command ?? []), ...(container?.args ?? [])].join(' ')) ? 'thick' : 'thin',
		container: container?.name ?? '',
		image: container?.image ?? '',
		version: undefined,
		release: resolveRelease(container?.image ?? ''),
		serviceAccount: ds.spec?.template.spec?.serviceAccountName || 'default',
		evidence: ['named with --daemonset'],
		perNodeCertificates: false,
	};
}

/** The three independent signals: logs, access review, rules. */
async function detect(client: KubeApi, found: Found, options: DoctorOptions, signal: AbortSignal): Promise<Diagnosis> {
	const mode = found.daemonSet.mode;
	const granted = found.roles.flatMap(role => role.rules);
	const needed = blockingRules(mode);
	const [access, logs] = await Promise.all([
		accessEvidence(client, found.identity),
		(async () => {
			const pods = await client.listPods(found.daemonSet.namespace, found.selector, options.logPods);
			return logEvidence(client, pods.items.slice(0, options.logPods), found.daemonSet.container, options.logBytes, signal);
		})(),
	]);
	const requirements = requiredRules(mode).map(requirement => ({...requirement, covered: rulesCover(granted, requirement.rule)}));
	const missing = missingRules(granted, needed);
	const advisoryMissing = missingRules(granted, advisoryRules(mode));
	const accessDenied = mode === 'thick' && (!access.list.allowed || !access.watch.allowed);
	const broken = missing.length > 0 || accessDenied;
	let summary: string;
	if (mode === 'thin') {
		summary = `Healthy: ${found.daemonSet.namespace}/${found.daemonSet.name} runs the thin plugin, which does not list or watch pods; get/update is enough.`;
	} else if (!broken) {
		summary = logs.count > 0
			? `Healthy RBAC: ${found.identity.user} can list and watch pods. The pods still show ${logs.count} old forbidden line(s) from before the rules were fixed; the reflectors recover on their own.`
			: `Healthy: ${found.identity.user} can list and watch pods cluster-wide.`;
	} else {
		summary = `Broken: the thick daemon's pod informer cannot ${[!access.list.allowed && 'list', !access.watch.allowed && 'watch'].filter(Boolean).join(' or ') || 'list/watch'} pods at cluster scope.`;
	}
	return {logs, access, rules: {requirements, missing, advisoryMissing}, verdict: broken ? 'broken' : 'healthy', summary};
}

/** Chooses the role to patch, computes the minimal patch, and checks the caller may apply it. */
async function makePlan(client: KubeApi, found: Found, options: DoctorOptions): Promise<Plan> {
	const needed = blockingRules(found.daemonSet.mode);
	if (found.roles.length === 0) {
		throw new MultusError('Invalid', `no ClusterRole is bound to ServiceAccount ${found.daemonSet.namespace}:${found.daemonSet.serviceAccount}`, {
			hint: `create the binding and role, for example: kubectl create clusterrole multus-pods --verb=get,list,watch --resource=pods && kubectl create clusterrolebinding multus-pods --clusterrole=multus-pods --serviceaccount=${found.daemonSet.namespace}:${found.daemonSet.serviceAccount}`,
		});
	}
	// Prefer the role that already grants something on pods: it is the one that "means" multus's pod access.
	// Only roles bound to the daemon's identity (its ServiceAccount, or the system:multus group of per-node
	// certificates) are candidates: never a built-in role shared through system:authenticated and the like.
	const direct = found.roles.filter(role => role.grants.some(g => !g.shared));
	if (direct.length === 0) {
		throw new MultusError('Invalid', `no ClusterRole is bound to ${found.daemonSet.perNodeCertificates ? 'Group system:multus or User ' + found.identity.user : `ServiceAccount ${found.daemonSet.namespace}:${found.daemonSet.serviceAccount}`} itself (only through shared groups)`, {
			hint: `bind one: kubectl create clusterrole multus-pods --verb=get,list,watch --resource=pods && kubectl create clusterrolebinding multus-pods --clusterrole=multus-pods --serviceaccount=${found.daemonSet.namespace}:${found.daemonSet.serviceAccount}`,
		});
	}
	const preferred = direct.find(role => rulesOnPods(role.rules)) ?? direct[0]!;
	let role = await client.readClusterRole(preferred.name);
	let aggregate: Plan['aggregate'];
	// Aggregated roles are rebuilt by the controller from their sources: patch a source instead, the one that
	// holds the pods rules (the role that "means" pod access), else the first by name.
	if (role.aggregationRule) {
		const sources = aggregationSources(role, await client.listClusterRoles()).filter(s => !s.aggregationRule);
		const withPods = sources.filter(s => rulesOnPods(s.rules ?? []));
		const source = withPods[0] ?? sources[0];
		if (!source) {
			throw new MultusError('Invalid', `ClusterRole ${preferred.name} is aggregated and has no source role to patch`, {
				hint: `create a ClusterRole with pods list/watch and a label matching ${preferred.name}'s aggregationRule`,
			});
		}
		const sourceName = source.metadata?.name ?? '';
		const names = sources.map(s => s.metadata?.name ?? '');
		const why = withPods.length === 1
			? 'the only source with rules on pods'
			: withPods.length > 1
				? `the first by name of the sources with rules on pods (${withPods.map(s => s.metadata?.name).join(', ')})`
				: `no source has rules on pods; the first source by name`;
		aggregate = {role: preferred.name, source: sourceName, sources: names, why};
		role = source;
	}
	const name = role.metadata?.name ?? preferred.name;
	const resourceVersion = role.metadata?.resourceVersion;
	const patch = planRolePatch(role.rules, needed, resourceVersion);
	const owner = managedBy(role.metadata);
	const autoupdateDisabled = optedOutOfAutoupdate(role);
	const record = changeRecord(patch.missing, patch.after, `${found.daemonSet.namespace}/${found.daemonSet.name}`);
	const operations = patch.empty ? [] : [...patch.jsonPatch, ...recordOperations(role, record, patch.before)];
	const permissions = patch.empty || options.check ? [] : await preflight(client, found, name, patch.missing, options);
	let serverDryRun = 'skipped';
	const blocked = autoupdateDisabled ? 'autoupdate' as const : owner ? 'managed' as const : undefined;
	if (!patch.empty && !options.check && options.dryRun !== 'client' && permissions.every(p => p.allowed || p.optional) && (!blocked || (blocked === 'managed' && options.force))) {
		// Server-side dry run first: admission and validation see the exact patch, nothing is stored.
		await client.patchClusterRole(name, operations, true);
		serverDryRun = 'passed';
	}
	return {
		role: name,
		resourceVersion,
		patch,
		owner,
		autoupdateDisabled,
		blocked,
		reconcileYaml: reconcileYaml(name, patch.missing),
		manifestYaml: roleManifest(role, patch.after),
		...(aggregate ? {aggregate} : {}),
		operations,
		permissions,
		serverDryRun,
	};
}

/** True when a rule of `rules` names pods (or every resource) in the core group. */
function rulesOnPods(rules: V1PolicyRule[]): boolean {
	return rules.some(rule => (rule.apiGroups ?? []).includes('') && (rule.resources ?? []).some(r => r === 'pods' || r === '*'));
}

/** Waits (at most 15 s) until the aggregate ClusterRole covers `needed`, as it does once the controller re-aggregates. */
async function waitForAggregation(client: KubeApi, aggregate: string, needed: V1PolicyRule[], signal: AbortSignal): Promise<void> {
	const deadline = Date.now() + 15_000;
	while (Date.now() < deadline && !signal.aborted) {
		const rules = (await client.readClusterRole(aggregate)).rules ?? [];
		if (needed.every(rule => rulesCover(rules, rule))) return;
		await pause(250, signal);
	}
}

/** SelfSubjectAccessReviews for everything the fix does, each with the rule an admin would grant. */
async function preflight(client: KubeApi, found: Found, role: string, adding: V1PolicyRule[], options: DoctorOptions): Promise<PermissionCheck[]> {
	const ns = found.daemonSet.namespace;
	const checks: Array<Omit<PermissionCheck, 'allowed'>> = [
		{description: `patch ClusterRole ${role}`, verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role, grant: `clusterroles.rbac.authorization.k8s.io "${role}": patch`},
	];
	if (options.restart) {
		checks.push({description: `patch DaemonSet ${ns}/${found.daemonSet.name}`, verb: 'patch', group: 'apps', resource: 'daemonsets', namespace: ns, name: found.daemonSet.name, grant: `daemonsets.apps "${found.daemonSet.name}" in ${ns}: patch`});
	}
	checks.push({description: 'create subjectaccessreviews (to verify the fix)', verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews', grant: 'subjectaccessreviews.authorization.k8s.io: create'});
	checks.push({description: `get pods/log in ${ns} (to read the new pods' logs when verifying)`, verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: ns, optional: true, grant: `pods/log in ${ns}: get`});
	const answers = await Promise.all(
		checks.map(check => client.selfAccess({verb: check.verb, group: check.group, resource: check.resource, ...(check.subresource ? {subresource: check.subresource} : {}), ...(check.name ? {name: check.name} : {}), ...(check.namespace ? {namespace: check.namespace} : {})})),
	);
	const results: PermissionCheck[] = checks.map((check, index) => ({...check, allowed: answers[index]!.allowed}));
	// RBAC escalation prevention: granting a permission needs holding it, or `escalate` on the role.
	const holds = await Promise.all(
		adding.flatMap(rule => (rule.verbs ?? []).flatMap(verb => (rule.resources ?? []).map(resource => ({verb, resource, group: rule.apiGroups?.[0] ?? ''})))).map(async atom => ({
			atom,
			answer: await client.selfAccess({verb: atom.verb, group: atom.group, resource: atom.resource}),
		})),
	);
	const lacking = holds.filter(h => !h.answer.allowed);
	if (lacking.length > 0) {
		const escalate = await client.selfAccess({verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role});
		results.push({
			description: `grant ${lacking.map(h => `${h.atom.verb} ${h.atom.resource}`).join(', ')} (RBAC lets you grant only what you hold yourself, or with escalate)`,
			verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role, allowed: escalate.allowed,
			grant: `${lacking.map(h => `pods: ${h.atom.verb}`).join(', ')} at cluster scope, or clusterroles.rbac.authorization.k8s.io "${role}": escalate`,
		});
	}
	return results;
}

/** How many of the pods holding the rollout back a look fetches on a large cluster, of old and of new (the view shows 5). */
const pendingSampleSize = 5;

/**
 * The DaemonSet's pods as the rollout view needs them. Small clusters (or `everyPod`): every pod, a page at a
 * time, reduced to summaries as they come. Large clusters: two small lists, old pods and new pods not running
 * yet, which name the nodes the rollout waits on; the counts come from the DaemonSet's status.
 */
async function samplePods(client: KubeApi, found: Found, ds: V1DaemonSet, everyPod: boolean): Promise<PodSample> {
	const {namespace} = found.daemonSet;
	const generation = podTemplateGeneration(ds);
	if (everyPod || rolloutIsByNode(ds)) {
		const pods: PodSummary[] = [];
		let continueToken: string | undefined;
		do {
			const page = await client.listPods(namespace, found.selector, 500, {continueToken});
			for (const pod of page.items) pods.push(summarisePod(pod, generation));
			continueToken = page.continueToken;
		} while (continueToken);
		return {pods, complete: true};
	}
	const [old, fresh] = await Promise.all([
		client.listPods(namespace, `${found.selector},pod-template-generation!=${generation}`, pendingSampleSize),
		client.listPods(namespace, `${found.selector},pod-template-generation=${generation}`, pendingSampleSize, {fieldSelector: 'status.phase!=Running'}),
	]);
	return {pods: [...old.items, ...fresh.items].map(pod => summarisePod(pod, generation)), complete: false};
}

/**
 * Watches the DaemonSet until kubectl's rollout-status rules say done: one watch on the DaemonSet alone, as
 * `kubectl rollout status` does, resumed from the last resourceVersion after a dropped watch and re-listed
 * after 410. The pods are only looked at on demand, to name the nodes the rollout waits on: after a DaemonSet
 * change, at most every 500 ms on small clusters and every 2-5 s on large ones (rolloutCadence), every 5 s while nothing moves,
 * and every pod once more when --timeout expires.
 */
async function watchRollout(client: KubeApi, found: Found, restarted: V1DaemonSet, options: DoctorOptions, io: DoctorIO): Promise<V1DaemonSet> {
	const {namespace, name} = found.daemonSet;
	const startedAt = Date.now();
	let ds = restarted;
	let sample: PodSample = {pods: [], complete: false};
	let reconnects = 0;
	let lastDispatch = 0;
	let lastShown = '';
	let pendingDispatch: NodeJS.Timeout | undefined;
	const view = (finishedAt?: number): RolloutView => ({
		status: daemonSetRolloutStatus(ds),
		progress: rolloutProgress(ds, sample),
		startedAt,
		finishedAt,
		reconnects,
	});
	// At most one progress event per rolloutCadence interval, and only when what it shows changed (the elapsed seconds count).
	const publish = (force = false) => {
		const now = Date.now();
		const interval = rolloutCadence(ds).progressMs;
		if (!force && now - lastDispatch < interval) {
			pendingDispatch ??= setTimeout(() => {
				pendingDispatch = undefined;
				publish(true);
			}, interval - (now - lastDispatch));
			return;
		}
		if (pendingDispatch) clearTimeout(pendingDispatch);
		pendingDispatch = undefined;
		const next = view();
		const shown = JSON.stringify([next.status.message, next.progress, reconnects, Math.floor((now - startedAt) / 1000)]);
		if (shown === lastShown) return;
		lastShown = shown;
		lastDispatch = now;
		io.dispatch({type: 'rollout-progress', rollout: next});
	};

	return new Promise<V1DaemonSet>((resolve, reject) => {
		let settled = false;
		let dsWatch: {abort: () => void} | undefined;
		let timer: NodeJS.Timeout | undefined;
		let lookTimer: NodeJS.Timeout | undefined;
		let looking = false;
		let lookAgain = false;
		let lastLook = 0;
		let ticker: NodeJS.Timeout | undefined;
		const done = (error?: unknown) => {
			if (settled) return;
			settled = true;
			dsWatch?.abort();
			clearTimeout(timer);
			clearTimeout(lookTimer);
			clearInterval(ticker);
			clearTimeout(pendingDispatch);
			io.signal.removeEventListener('abort', onAbort);
			if (error) reject(error);
			else {
				io.dispatch({type: 'rollout-progress', rollout: view(Date.now())});
				resolve(ds);
			}
		};
		const onAbort = () => done(new Cancelled());
		const deleted = () => new MultusError('RolloutFailed', `DaemonSet ${namespace}/${name} was deleted during the rollout`, {hint: 'someone removed Multus; reinstall it, then run kubectl multus doctor again'});
		io.signal.addEventListener('abort', onAbort);

		// Look at the pods, at most once per interval; a change seen during a look asks for one more after it.
		const look = () => {
			if (settled) return;
			if (looking) {
				lookAgain = true;
				return;
			}
			if (lookTimer) return;
			const wait = lastLook + rolloutCadence(ds).lookMs - Date.now();
			if (wait > 0) {
				lookTimer = setTimeout(() => {
					lookTimer = undefined;
					look();
				}, wait);
				return;
			}
			looking = true;
			lastLook = Date.now();
			samplePods(client, found, ds, false)
				.then(
					next => {
						sample = next;
						publish();
					},
					// An outage shows through the DaemonSet watch; the last sample stays on screen meanwhile.
					() => undefined,
				)
				.finally(() => {
					looking = false;
					if (lookAgain) {
						lookAgain = false;
						look();
					}
				});
		};
		// The elapsed time moves while nothing else does; and the pods still change (a reason, a deletion): look
		// again every 5 s.
		ticker = setInterval(() => {
			if (Date.now() - lastLook >= 5000) look();
			publish();
		}, 1000);

		const check = () => {
			const status = daemonSetRolloutStatus(ds);
			if (status.error) done(new MultusError('RolloutFailed', status.error));
			else if (status.done && (ds.status?.observedGeneration ?? 0) >= (restarted.metadata?.generation ?? 0)) done();
			else {
				look();
				publish();
			}
		};
		if (options.timeoutMs > 0) {
			timer = setTimeout(() => {
				void (async () => {
					// Name every node still pending, from one last look at all the pods (bounded: the cluster may be down).
					const final = (await bounded(samplePods(client, found, ds, true).catch(() => undefined), Date.now() + 5000)) ?? sample;
					const progress = rolloutProgress(ds, final);
					const nodes = progress.pending.map(p => `${p.node} (${p.pod ?? 'no pod'}: ${p.reason})`).join(', ');
					done(new MultusError('RolloutFailed', `rollout of DaemonSet ${namespace}/${name} did not finish within ${formatDuration(options.timeoutMs)}: ${daemonSetRolloutStatus(ds).message}${progress.pendingTotal ? ` Still pending on ${progress.pendingTotal} node(s): ${nodes}${progress.pendingTotal > progress.pending.length ? ', …' : ''}` : ''}`, {
						hint: `the ClusterRole fix is in place; the rollout continues in the background. Look at the pending pods (kubectl -n ${namespace} describe pod POD) and wait with kubectl -n ${namespace} rollout status ds/${name}`,
					}));
				})();
			}, options.timeoutMs);
		}

		const startDsWatch = async (resourceVersion: string | undefined) => {
			if (settled) return;
			try {
				if (!resourceVersion) {
					// Re-list (as a list of one), and watch from the list's resourceVersion: after 410 the object's own is too old.
					const listed = await client.listDaemonSetByName(namespace, name);
					if (!listed.daemonSet) throw new MultusError('NotFound', `DaemonSet ${namespace}/${name} not found`);
					ds = listed.daemonSet;
					resourceVersion = listed.resourceVersion;
					check();
					if (settled) return;
				}
				let lastRv = resourceVersion;
				dsWatch = await client.watch<V1DaemonSet>(
					`/apis/apps/v1/namespaces/${namespace}/daemonsets`,
					{fieldSelector: `metadata.name=${name}`, resourceVersion},
					event => {
						lastRv = event.object.metadata?.resourceVersion ?? lastRv;
						if (event.type === 'BOOKMARK') return;
						if (event.type === 'DELETED') {
							done(deleted());
							return;
						}
						ds = event.object;
						check();
					},
					error => {
						if (settled) return;
						reconnects++;
						publish(true);
						// 410 Gone: our resourceVersion is too old, re-list. Otherwise resume from the last one we saw.
						const retryRv = error?.kind === 'Gone' ? undefined : lastRv;
						setTimeout(() => void startDsWatch(retryRv), error ? Math.min(1000 * reconnects, 5000) : 0);
					},
				);
				// The rollout may have settled while this watch was connecting: do not leave it open.
				if (settled) dsWatch.abort();
			} catch (error) {
				if (settled) return;
				if (error instanceof MultusError && error.kind === 'NotFound') {
					done(deleted());
					return;
				}
				// The API server is unreachable: keep trying until the timeout, as kubectl rollout status does.
				reconnects++;
				publish(true);
				setTimeout(() => void startDsWatch(undefined), Math.min(1000 * reconnects, 5000));
			}
		};

		void startDsWatch(ds.metadata?.resourceVersion);
		check();
	});
}
