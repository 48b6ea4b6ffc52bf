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
import type {PermissionCheck} from '../doctor/model.js';
import {say as sayDoctor, undoCommand} from '../doctor/present.js';
import {selfChecks} from '../doctor/steps/plan.js';

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

/** One recorded change in undo's report (-o json|yaml). */
interface ChangeReport {
	clusterRole: string;
	changedBy: string;
	changedAt: string;
	daemonSet: string;
	remove: string[];
	rulesNow: V1PolicyRule[];
	rulesAfterUndo: V1PolicyRule[];
	delete: string[];
	changedSince: boolean;
	applied: boolean;
}

/** Undo's report: every change it undoes (those of one DaemonSet), those it refuses, and why it stopped, if it did. */
interface UndoReport {
	daemonSet: string | null;
	changes: ChangeReport[];
	ignored: Refusal[];
	dryRun: DoctorOptions['dryRun'];
	applied: boolean;
	reason: string | null;
}

/** One write of the undo, in order: what it is once done, and how to finish it by hand when it is what failed. */
interface Write {
	done: string;
	pending: string;
	send(dryRun: boolean): Promise<void>;
	change: ChangeReport;
	/** The command that finishes it when an earlier write of the same change went through (undo cannot, then). */
	byHand?: string;
}

/** "NAMESPACE/NAME" as -n and --daemonset ask for, in words. */
function wantedWords(namespace: string | undefined, daemonSet: string | undefined): string {
	if (namespace && daemonSet) return `DaemonSet ${namespace}/${daemonSet}`;
	if (namespace) return `a DaemonSet in namespace ${namespace}`;
	return `a DaemonSet named ${daemonSet ?? ''} in any namespace`;
}

/**
 * `kubectl multus undo`: takes away what the doctor added, and nothing else. For a patched ClusterRole the result
 * is its rules now minus the recorded addition (never rules read from an annotation); a dedicated ClusterRole the
 * doctor created is deleted with its ClusterRoleBinding, if both are still exactly what it created. A record whose
 * role is not the recorded DaemonSet's identity's, or whose addition is not there exactly, is named and left
 * alone, and never stops the undo of another. Every record of one DaemonSet is undone in one go (one question);
 * records for several DaemonSets need -n/--daemonset. Refuses when a patched role changed since (unless --force).
 * With -o json|yaml a report is printed whatever the end, refusals too (with the reason).
 */
export async function runUndo(options: DoctorOptions, env: UndoEnv = processEnv): Promise<number> {
	const report: UndoReport = {daemonSet: null, changes: [], ignored: [], dryRun: options.dryRun, applied: false, reason: null};
	const finish = (code: number) => {
		if (options.output === 'json') env.write(JSON.stringify(report, null, 2) + '\n');
		if (options.output === 'yaml') env.write(stringify(report));
		return code;
	};
	try {
		return finish(await undo(options, env, report));
	} catch (error) {
		// A refusal or a failure is a report too: stdout carries it, the error goes to stderr with its exit code.
		if (error instanceof MultusError) {
			report.reason = error.message;
			finish(error.exitCode);
		}
		throw error;
	}
}

async function undo(options: DoctorOptions, env: UndoEnv, report: UndoReport): Promise<number> {
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
	const {namespace: wantedNamespace} = options.connection;
	const wantedDaemonSet = (key: string) => {
		const [namespace, name] = key.split('/');
		return (!wantedNamespace || namespace === wantedNamespace) && (!options.daemonSet || name === options.daemonSet);
	};

	const candidates: Candidate[] = [];
	const refusals: Refusal[] = report.ignored;
	// Records left out by -n/--daemonset, by DaemonSet: a mistyped name finds none, and is told which there are.
	const elsewhere = new Map<string, string[]>();
	for (const role of recorded) {
		const name = role.metadata?.name ?? '';
		const reading = readRecord(role);
		if (reading.state === 'malformed') {
			refusals.push({clusterRole: name, daemonSet: undefined, reason: `its kubectl-multus.dev/change annotation is not a change record kubectl multus writes (${reading.reason})`});
			continue;
		}
		if (reading.state !== 'valid') continue;
		const {record} = reading;
		if (!wantedDaemonSet(record.daemonSet)) {
			elsewhere.set(record.daemonSet, [...(elsewhere.get(record.daemonSet) ?? []), name]);
			continue;
		}
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
	const matched = candidates.length + refusals.filter(refusal => refusal.daemonSet !== undefined).length;
	if (matched === 0 && elsewhere.size > 0) {
		// Nothing was refused: -n/--daemonset named a DaemonSet no record is for (a typo, most likely).
		const others = [...elsewhere].map(([daemonSet, names]) => `${daemonSet} (ClusterRole ${names.join(', ')})`);
		const [namespace = '', name = ''] = [...elsewhere.keys()][0]!.split('/');
		throw new MultusError('Usage', `no change record for ${wantedWords(wantedNamespace, options.daemonSet)}; records exist for ${others.join(', ')}${ignored.length > 0 ? `. ${ignored.join('. ')}` : ''}`, {
			hint: `pick one with -n NAMESPACE and --daemonset NAME, e.g. ${undoCommand({connection: {...options.connection, namespace}, daemonSet: name})}`,
		});
	}
	if (candidates.length === 0) {
		throw new MultusError('Invalid', `nothing to undo: every kubectl-multus change record was refused. ${ignored.join('. ')}`, {
			hint: 'undo only removes what kubectl multus doctor added; look at the roles named with kubectl get clusterrole NAME -o yaml, and remove a record that is not yours with kubectl annotate clusterrole NAME kubectl-multus.dev/change-',
		});
	}
	const forDaemonSets = [...new Set(candidates.map(candidate => candidate.record.daemonSet))];
	if (forDaemonSets.length > 1) {
		throw new MultusError('Usage', `several ClusterRoles were changed by kubectl multus for different DaemonSets: ${candidates.map(c => `${c.name} (${c.record.daemonSet})`).join(', ')}`, {
			hint: 'pick one with -n NAMESPACE and/or --daemonset NAME (the DaemonSet each change was made for)',
		});
	}
	report.daemonSet = forDaemonSets[0]!;

	const writes: Write[] = [];
	for (const {role, name, record, action} of candidates) {
		const current = role.rules ?? [];
		const changedSince = action.kind === 'rules' && !isDeepStrictEqual(plain(current), plain(record.rulesAfter));
		const bindingName = action.kind === 'delete' ? action.binding.metadata?.name ?? '' : '';
		const deleted = action.kind === 'delete' ? [`ClusterRole ${name}`, `ClusterRoleBinding ${bindingName}`] : [];
		const change: ChangeReport = {
			clusterRole: name,
			changedBy: record.by,
			changedAt: record.at,
			daemonSet: record.daemonSet,
			remove: record.added.map(describeRule),
			rulesNow: current,
			rulesAfterUndo: action.kind === 'rules' ? action.after : [],
			delete: deleted,
			changedSince,
			applied: false,
		};
		report.changes.push(change);
		if (action.kind === 'delete') {
			const binding = action.binding;
			// Only the objects as read: a change or a re-creation since makes the delete fail instead.
			writes.push({
				done: `deleted ClusterRoleBinding ${bindingName}`,
				pending: `ClusterRoleBinding ${bindingName} (and ClusterRole ${name}) not deleted`,
				send: dryRun => client.deleteClusterRoleBinding(bindingName, {uid: binding.metadata?.uid, resourceVersion: binding.metadata?.resourceVersion}, dryRun),
				change,
			});
			writes.push({
				done: `deleted ClusterRole ${name}`,
				pending: `ClusterRole ${name} not deleted`,
				send: dryRun => client.deleteClusterRole(name, {uid: role.metadata?.uid, resourceVersion: role.metadata?.resourceVersion}, dryRun),
				change,
				// Its binding is gone by then, so undo no longer takes it for the doctor's: deleted by hand.
				byHand: `kubectl delete clusterrole ${shellQuote(name)}`,
			});
			const subjects = record.dedicated?.subjects.map(subject => describeSubject(subject)).join(', ') ?? '';
			say(`ClusterRole ${name} was created by ${record.by} at ${record.at} for DaemonSet ${record.daemonSet}, for ${subjects} alone; undo deletes ${deleted.join(' and ')}, and with them:`);
			for (const rule of record.added) say(`  - ${describeRule(rule)}`);
			continue;
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
		writes.push({
			done: `removed the recorded rules from ClusterRole ${name}`,
			pending: `ClusterRole ${name} still has the rules kubectl multus added`,
			send: async dryRun => {
				await client.patchClusterRole(name, operations, dryRun);
			},
			change,
		});
		say(`ClusterRole ${name} was changed by ${record.by} at ${record.at} for DaemonSet ${record.daemonSet}; undo removes:`);
		for (const rule of record.added) say(`  - ${describeRule(rule)}`);
		say(`Its rules after undo:`);
		for (const rule of action.after) say(`    ${describeRule(rule)}`);
		if (action.after.length === 0) say('    (no rules)');
	}
	for (const line of ignored) say(`! ignored: ${line}`);
	const changed = report.changes.filter(change => change.changedSince);
	if (changed.length > 0 && !options.force) {
		const names = changed.map(change => change.clusterRole);
		say(`${names.map(name => `ClusterRole ${name}`).join(' and ')} changed since (its rules are no longer exactly what kubectl multus left), so undo would lose that change.`);
		throw new MultusError('Conflict', `ClusterRole ${names.join(', ')} changed after kubectl multus patched it; refusing to undo`, {
			hint: `compare with kubectl get clusterrole ${shellQuote(names[0]!)} -o yaml, or pass --force to remove only what kubectl multus added and keep the rest`,
		});
	}
	if (!options.check) {
		// As the doctor's preflight: every write undo would send, asked of the API server first, so undo does not stop halfway.
		const checks: Array<Omit<PermissionCheck, 'allowed'>> = candidates.flatMap(({name, action}) =>
			action.kind === 'delete'
				? [
						{...sayDoctor.permissionDelete('ClusterRoleBinding', 'clusterrolebindings', action.binding.metadata?.name ?? ''), verb: 'delete', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', name: action.binding.metadata?.name ?? ''},
						{...sayDoctor.permissionDelete('ClusterRole', 'clusterroles', name), verb: 'delete', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name},
					]
				: [{...sayDoctor.permissionPatchRole(name), verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name}],
		);
		const missing = (await selfChecks(client, checks)).filter(check => !check.allowed);
		const words = sayDoctor.lackPermission(missing, 'undo');
		if (missing.length > 0 && options.dryRun !== 'client') throw new MultusError('Forbidden', words.message + '; nothing was changed', {hint: words.hint});
		// A client-side dry run sends nothing, so it is no refusal: said all the same, as the undo itself would fail.
		if (missing.length > 0) say(`! ${words.message} (${words.hint})`);
	}
	if (options.check || options.dryRun !== 'none') {
		if (options.dryRun === 'server') {
			// Admission and validation see the exact writes; nothing is stored. A delete's dry run leaves the object, so
			// each write is checked against the objects as they are now.
			for (const write of writes) await write.send(true);
			say('Dry run (server, accepted by the API server): nothing changed.');
		} else {
			say('Nothing changed (--check/--dry-run).');
		}
		return ExitCode.ProblemFound;
	}
	let yes = options.yes;
	if (!yes && options.interactive) {
		const only = candidates.length === 1 ? candidates[0]! : undefined;
		const question = only
			? only.action.kind === 'delete'
				? `Delete ${report.changes[0]!.delete.join(' and ')}? [y/N] `
				: `Remove these rules from ClusterRole ${only.name}? [y/N] `
			: `Undo all of these (${report.changes.map(change => (change.delete.length > 0 ? `delete ${change.delete.join(' and ')}` : `remove the rules from ClusterRole ${change.clusterRole}`)).join('; ')})? [y/N] `;
		yes = /^y(es)?$/i.test((await env.ask(terminalSafe(question))).trim());
	}
	if (!yes) {
		say(options.interactive ? 'Declined: nothing changed.' : 'Nothing changed: without a terminal, undo needs --yes.');
		return ExitCode.ProblemFound;
	}
	const done: string[] = [];
	for (const [index, write] of writes.entries()) {
		try {
			await write.send(false);
		} catch (error) {
			if (!(error instanceof MultusError) || done.length === 0) throw error;
			// What is left, a change once: a binding not deleted says its role was not either.
			const left = writes.slice(index).filter((other, at, all) => at === 0 || all[at - 1]!.change !== other.change);
			const byHand = write.byHand && writes[index - 1]?.change === write.change ? write.byHand : undefined;
			const rerun = left.some(other => other !== write || !byHand);
			throw new MultusError(error.kind, `${error.message}. Undo stopped halfway: it ${done.join(', ')}; ${left.map(other => other.pending).join('; ')}`, {
				hint: [byHand ? `to finish: ${byHand}` : '', rerun ? `${byHand ? 'then ' : ''}run kubectl multus undo again once that is fixed (it undoes what is left)` : ''].filter(Boolean).join(', '),
				cause: error,
			});
		}
		done.push(write.done);
		if (writes[index + 1]?.change !== write.change) write.change.applied = true;
	}
	report.applied = true;
	const deletes = report.changes.flatMap(change => change.delete);
	const patched = report.changes.filter(change => change.delete.length === 0).map(change => `ClusterRole ${change.clusterRole}`);
	const what = [deletes.length > 0 ? `Deleted ${deletes.join(' and ')}` : '', patched.length > 0 ? `${deletes.length > 0 ? 'removed the recorded rules' : 'Removed them'} from ${patched.join(' and ')}` : ''].filter(Boolean).join('; ');
	say(`${what}. ${notRestarted(candidates.flatMap(candidate => candidate.record.added))}`);
	return ExitCode.Ok;
}
