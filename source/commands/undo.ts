import {createInterface} from 'node:readline/promises';
import {isDeepStrictEqual} from 'node:util';
import type {V1ClusterRole, V1DaemonSet, V1PolicyRule} from '@kubernetes/client-node';
import {stringify} from 'yaml';
import {MultusError} from '../errors.js';
import {ExitCode} from '../exit-codes.js';
import {KubeClient} from '../kube/client.js';
import {loadKubeConfig} from '../kube/config.js';
import {describeRule, type JsonPatchOperation} from '../multus/rbac.js';
import {revertAddition} from '../multus/revert.js';
import {granteesOf} from '../multus/subjects.js';
import {annotationPath, changeAnnotation, previousRulesAnnotation, readRecord, type ChangeRecord} from '../doctor/record.js';
import {terminalSafe} from '../ansi.js';
import type {DoctorOptions} from '../options.js';

/** A role with a change record undo will act on: what it removes and the rules it leaves. */
interface Candidate {
	role: V1ClusterRole;
	name: string;
	record: ChangeRecord;
	after: V1PolicyRule[];
}

/** A role whose change record undo refuses, and why (shown, never acted on). */
interface Refusal {
	clusterRole: string;
	daemonSet: string | undefined;
	reason: string;
}

// Compare as plain JSON: the client's model objects and the recorded ones differ only in prototype.
const plain = (value: unknown) => JSON.parse(JSON.stringify(value ?? null)) as unknown;

/**
 * `kubectl multus undo`: takes away what a doctor run added to a ClusterRole, and nothing else. The result is the
 * role's rules now minus the recorded addition (never rules read from an annotation), refused unless that addition
 * is there exactly and the role is bound to the recorded DaemonSet's identity; a record that fails any check is
 * named and left alone, and never stops the undo of another. Refuses when the role changed since (unless --force).
 */
export async function runUndo(options: DoctorOptions): Promise<number> {
	const {kc} = loadKubeConfig(options.connection);
	const client = new KubeClient(kc);
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
		if (!daemonSets.has(key)) {
			daemonSets.set(key, client.readDaemonSet(namespace, name).catch((error: unknown) => {
				if (error instanceof MultusError && error.kind === 'NotFound') return undefined;
				throw error;
			}));
		}
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
		// The doctor only ever patches a role bound to the daemon's identity: a record anywhere else is not its own.
		const identity = {namespace, serviceAccount, perNodeCertificates: true};
		const objects = {clusterRoles: roles, clusterRoleBindings: bindings, roleBindings: []};
		if (!granteesOf(name, objects, identity).some(grantee => grantee.multus)) {
			refuse(`it is not bound to DaemonSet ${record.daemonSet}'s identity (ServiceAccount ${namespace}:${serviceAccount}), so kubectl multus did not change it for that DaemonSet`);
			continue;
		}
		const revert = revertAddition(role.rules ?? [], record.added);
		if (!revert.ok) {
			refuse(revert.reason);
			continue;
		}
		candidates.push({role, name, record, after: revert.after});
	}

	const say = (text: string) => {
		if (options.output === 'text') process.stdout.write(terminalSafe(text) + '\n');
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
	const {role, name, record, after} = candidates[0]!;
	const current = role.rules ?? [];
	const changedSince = !isDeepStrictEqual(plain(current), plain(record.rulesAfter));
	const report = {
		clusterRole: name,
		changedBy: record.by,
		changedAt: record.at,
		daemonSet: record.daemonSet,
		remove: record.added.map(describeRule),
		rulesNow: current,
		rulesAfterUndo: after,
		changedSince,
		ignored: refusals,
		applied: false,
	};
	const finish = (code: number) => {
		if (options.output === 'json') process.stdout.write(JSON.stringify(report, null, 2) + '\n');
		if (options.output === 'yaml') process.stdout.write(stringify(report));
		return code;
	};
	for (const line of ignored) say(`! ignored: ${line}`);
	say(`ClusterRole ${name} was changed by ${record.by} at ${record.at} for DaemonSet ${record.daemonSet}; undo removes:`);
	for (const rule of record.added) say(`  - ${describeRule(rule)}`);
	say(`Its rules after undo:`);
	for (const rule of after) say(`    ${describeRule(rule)}`);
	if (after.length === 0) say('    (no rules)');
	if (changedSince && !options.force) {
		say('It has changed since (its rules are no longer exactly what kubectl multus left), so undo would lose that change.');
		throw new MultusError('Conflict', `ClusterRole ${name} changed after kubectl multus patched it; refusing to undo`, {
			hint: `compare with kubectl get clusterrole ${name} -o yaml, or pass --force to remove only what kubectl multus added and keep the rest`,
		});
	}
	if (options.check || options.dryRun !== 'none') {
		say('Nothing changed (--check/--dry-run).');
		return finish(ExitCode.ProblemFound);
	}
	let yes = options.yes;
	if (!yes && options.interactive) {
		const prompt = createInterface({input: process.stdin, output: process.stdout});
		yes = /^y(es)?$/i.test((await prompt.question(terminalSafe(`Remove these rules from ClusterRole ${name}? [y/N] `))).trim());
		prompt.close();
	}
	if (!yes) {
		say(options.interactive ? 'Declined: nothing changed.' : 'Nothing changed: without a terminal, undo needs --yes.');
		return finish(ExitCode.ProblemFound);
	}
	const annotations = role.metadata?.annotations ?? {};
	// The patch is computed from exactly these rules at this resourceVersion: a concurrent change makes it fail.
	const operations: JsonPatchOperation[] = [
		{op: 'test', path: '/metadata/resourceVersion', value: role.metadata?.resourceVersion ?? ''},
		{op: 'test', path: '/rules', value: plain(current) as V1PolicyRule[]},
		{op: 'replace', path: '/rules', value: after},
		...(previousRulesAnnotation in annotations ? [{op: 'remove' as const, path: annotationPath(previousRulesAnnotation)}] : []),
		{op: 'remove', path: annotationPath(changeAnnotation)},
	];
	await client.patchClusterRole(name, operations, false);
	report.applied = true;
	say(`Removed them from ClusterRole ${name}. The Multus pods are not restarted; a thick daemon without list and watch on pods logs the forbidden error again.`);
	return finish(ExitCode.Ok);
}
