import {createInterface} from 'node:readline/promises';
import {isDeepStrictEqual} from 'node:util';
import type {V1ClusterRole, V1ClusterRoleBinding, V1DaemonSet, V1PolicyRule} from '@kubernetes/client-node';
import {stringify} from 'yaml';
import {MultusError} from '../errors.js';
import {ExitCode} from '../exit-codes.js';
import {connectKube, type KubeApi} from '../kube/client.js';
import {describeRule, type JsonPatchOperation} from '../multus/rbac.js';
import {planUndo} from '../multus/revert.js';
import {describeSubject} from '../multus/subjects.js';
import {annotationPath, changeAnnotation, previousRulesAnnotation, readRecord, type ChangeRecord} from '../doctor/record.js';
import {terminalSafe} from '../ansi.js';
import {shellQuote} from '../shell.js';
import type {ConnectionOptions, DoctorOptions} from '../options.js';

/** A role with a change record undo will act on: the rules it leaves, or the dedicated objects it deletes. */
interface Candidate {
	role: V1ClusterRole;
	name: string;
	record: ChangeRecord;
	action: {kind: 'rules'; after: V1PolicyRule[]} | {kind: 'delete'; binding: V1ClusterRoleBinding};
}

/** A role whose change record undo refuses, and why (shown, never acted on). */
interface Refusal {
	clusterRole: string;
	daemonSet: string | undefined;
	reason: string;
}

/** Where undo talks to (the cluster, or a test's) and writes (the terminal, or a test's). */
export interface UndoEnv {
	connect(connection: ConnectionOptions): {client: KubeApi};
	write(text: string): void;
	ask(question: string): Promise<string>;
}

const processEnv: UndoEnv = {
	connect: connectKube,
	write: text => process.stdout.write(text),
	async ask(question) {
		const prompt = createInterface({input: process.stdin, output: process.stdout});
		try {
			return await prompt.question(question);
		} finally {
			prompt.close();
		}
	},
};

// Compare as plain JSON: the client's model objects and the recorded ones differ only in prototype.
const plain = (value: unknown) => JSON.parse(JSON.stringify(value ?? null)) as unknown;

function notFound(error: unknown): undefined {
	if (error instanceof MultusError && error.kind === 'NotFound') return undefined;
	throw error;
}

/** What follows an undo, from what it took away: the daemons keep running, and what they lack now they are denied. */
function notRestarted(removed: V1PolicyRule[]): string {
	return `The Multus pods are not restarted; a daemon that needs ${removed.map(describeRule).join('; ')} logs the forbidden error again.`;
}

/**
 * `kubectl multus undo`: takes away what a doctor run added, and nothing else. For a patched ClusterRole the result
 * is its rules now minus the recorded addition (never rules read from an annotation); a dedicated ClusterRole the
 * doctor created is deleted with its ClusterRoleBinding, if both are still exactly what it created. A record whose
 * role is not the recorded DaemonSet's identity's, or whose addition is not there exactly, is named and left
 * alone, and never stops the undo of another. Refuses when a patched role changed since (unless --force).
 */
export async function runUndo(options: DoctorOptions, env: UndoEnv = processEnv): Promise<number> {
	const {client} = env.connect(options.connection);
	await client.serverVersion();
	const roles = await client.listClusterRoles();
	const recorded = roles.filter(role => readRecord(role).state !== 'none');
	if (recorded.length === 0) {
		throw new MultusError('NotFound', 'no ClusterRole carries a kubectl-multus change record: there is nothing to undo', {
			hint: 'undo only reverts changes made by kubectl multus doctor (they are recorded in the kubectl-multus.dev/change annotation)',
		});
	}
	const bindings = await client.listClusterRoleBindings();
	const daemonSets = new Map<string, Promise<V1DaemonSet | undefined>>();
	const readDaemonSet = (key: string) => {
		const [namespace = '', name = ''] = key.split('/');
		if (!daemonSets.has(key)) daemonSets.set(key, client.readDaemonSet(namespace, name).catch(notFound));
		return daemonSets.get(key)!;
	};
	const wantedDaemonSet = (key: string) => {
		const [namespace, name] = key.split('/');
		return (!options.connection.namespace || namespace === options.connection.namespace) && (!options.daemonSet || name === options.daemonSet);
	};

	const candidates: Candidate[] = [];
	const refusals: Refusal[] = [];
	for (const role of recorded) {
		const name = role.metadata?.name ?? '';
		const reading = readRecord(role);
		if (reading.state === 'malformed') {
			refusals.push({clusterRole: name, daemonSet: undefined, reason: `its kubectl-multus.dev/change annotation is not a change record kubectl multus writes (${reading.reason})`});
			continue;
		}
		if (reading.state !== 'valid') continue;
		const {record} = reading;
		if (!wantedDaemonSet(record.daemonSet)) continue;
		const refuse = (reason: string) => refusals.push({clusterRole: name, daemonSet: record.daemonSet, reason});
		const ds = await readDaemonSet(record.daemonSet);
		if (!ds) {
			refuse(`the DaemonSet it names, ${record.daemonSet}, does not exist, so it cannot be told apart from a forged record`);
			continue;
		}
		const [namespace = ''] = record.daemonSet.split('/');
		const serviceAccount = ds.spec?.template.spec?.serviceAccountName || ds.spec?.template.spec?.serviceAccount || 'default';
		const binding = record.dedicated ? await client.readClusterRoleBinding(record.dedicated.binding).catch(notFound) : undefined;
		const plan = planUndo({
			role,
			added: record.added,
			dedicated: record.dedicated,
			binding,
			objects: {clusterRoles: roles, clusterRoleBindings: bindings, roleBindings: []},
			// Per-node certificates or not: either is the daemon's own identity.
			identity: {namespace, serviceAccount, perNodeCertificates: true},
			daemonSet: record.daemonSet,
		});
		if (!plan.ok) refuse(plan.reason);
		else candidates.push({role, name, record, action: plan.kind === 'rules' ? {kind: 'rules', after: plan.after} : {kind: 'delete', binding: plan.binding}});
	}

	const say = (text: string) => {
		if (options.output === 'text') env.write(terminalSafe(text) + '\n');
	};
	const ignored = refusals.map(refusal => `ClusterRole ${refusal.clusterRole}: ${refusal.reason}`);
	if (candidates.length === 0) {
		throw new MultusError('Invalid', `nothing to undo: every kubectl-multus change record was refused. ${ignored.join('. ')}`, {
			hint: 'undo only removes what kubectl multus doctor added; look at the roles named with kubectl get clusterrole NAME -o yaml, and remove a record that is not yours with kubectl annotate clusterrole NAME kubectl-multus.dev/change-',
		});
	}
	if (candidates.length > 1) {
		throw new MultusError('Usage', `several ClusterRoles were changed by kubectl multus: ${candidates.map(c => c.name).join(', ')}`, {
			hint: 'pick one with -n NAMESPACE and/or --daemonset NAME (the DaemonSet each change was made for)',
		});
	}
	const {role, name, record, action} = candidates[0]!;
	const current = role.rules ?? [];
	const changedSince = action.kind === 'rules' && !isDeepStrictEqual(plain(current), plain(record.rulesAfter));
	const deleted = action.kind === 'delete' ? [`ClusterRole ${name}`, `ClusterRoleBinding ${action.binding.metadata?.name ?? ''}`] : [];
	const report = {
		clusterRole: name,
		changedBy: record.by,
		changedAt: record.at,
		daemonSet: record.daemonSet,
		remove: record.added.map(describeRule),
		rulesNow: current,
		rulesAfterUndo: action.kind === 'rules' ? action.after : [],
		delete: deleted,
		changedSince,
		ignored: refusals,
		applied: false,
	};
	const finish = (code: number) => {
		if (options.output === 'json') env.write(JSON.stringify(report, null, 2) + '\n');
		if (options.output === 'yaml') env.write(stringify(report));
		return code;
	};
	for (const line of ignored) say(`! ignored: ${line}`);
	if (action.kind === 'delete') {
		const subjects = record.dedicated?.subjects.map(subject => describeSubject(subject)).join(', ') ?? '';
		say(`ClusterRole ${name} was created by ${record.by} at ${record.at} for DaemonSet ${record.daemonSet}, for ${subjects} alone; undo deletes ${deleted.join(' and ')}, and with them:`);
		for (const rule of record.added) say(`  - ${describeRule(rule)}`);
	} else {
		say(`ClusterRole ${name} was changed by ${record.by} at ${record.at} for DaemonSet ${record.daemonSet}; undo removes:`);
		for (const rule of record.added) say(`  - ${describeRule(rule)}`);
		say(`Its rules after undo:`);
		for (const rule of action.after) say(`    ${describeRule(rule)}`);
		if (action.after.length === 0) say('    (no rules)');
	}
	if (changedSince && !options.force) {
		say('It has changed since (its rules are no longer exactly what kubectl multus left), so undo would lose that change.');
		throw new MultusError('Conflict', `ClusterRole ${name} changed after kubectl multus patched it; refusing to undo`, {
			hint: `compare with kubectl get clusterrole ${shellQuote(name)} -o yaml, or pass --force to remove only what kubectl multus added and keep the rest`,
		});
	}
	if (options.check || options.dryRun !== 'none') {
		say('Nothing changed (--check/--dry-run).');
		return finish(ExitCode.ProblemFound);
	}
	let yes = options.yes;
	if (!yes && options.interactive) {
		const question = action.kind === 'delete' ? `Delete ${deleted.join(' and ')}? [y/N] ` : `Remove these rules from ClusterRole ${name}? [y/N] `;
		yes = /^y(es)?$/i.test((await env.ask(terminalSafe(question))).trim());
	}
	if (!yes) {
		say(options.interactive ? 'Declined: nothing changed.' : 'Nothing changed: without a terminal, undo needs --yes.');
		return finish(ExitCode.ProblemFound);
	}
	if (action.kind === 'delete') {
		// Only the objects as read: a change or a re-creation since makes the delete fail instead.
		await client.deleteClusterRoleBinding(action.binding.metadata?.name ?? '', {uid: action.binding.metadata?.uid, resourceVersion: action.binding.metadata?.resourceVersion});
		await client.deleteClusterRole(name, {uid: role.metadata?.uid, resourceVersion: role.metadata?.resourceVersion});
		report.applied = true;
		say(`Deleted ${deleted.join(' and ')}. ${notRestarted(record.added)}`);
		return finish(ExitCode.Ok);
	}
	const annotations = role.metadata?.annotations ?? {};
	// The patch is computed from exactly these rules at this resourceVersion: a concurrent change makes it fail.
	const operations: JsonPatchOperation[] = [
		{op: 'test', path: '/metadata/resourceVersion', value: role.metadata?.resourceVersion ?? ''},
		{op: 'test', path: '/rules', value: plain(current) as V1PolicyRule[]},
		{op: 'replace', path: '/rules', value: action.after},
		...(previousRulesAnnotation in annotations ? [{op: 'remove' as const, path: annotationPath(previousRulesAnnotation)}] : []),
		{op: 'remove', path: annotationPath(changeAnnotation)},
	];
	await client.patchClusterRole(name, operations, false);
	report.applied = true;
	say(`Removed them from ClusterRole ${name}. ${notRestarted(record.added)}`);
	return finish(ExitCode.Ok);
}
