import {createInterface} from 'node:readline/promises';
import {isDeepStrictEqual} from 'node:util';
import type {V1ClusterRole} from '@kubernetes/client-node';
import {stringify} from 'yaml';
import {MultusError} from '../errors.js';
import {ExitCode} from '../exit-codes.js';
import {KubeClient} from '../kube/client.js';
import {loadKubeConfig} from '../kube/config.js';
import {describeRule, type JsonPatchOperation} from '../multus/rbac.js';
import {changeAnnotation, previousRulesAnnotation, readRecord} from '../doctor/record.js';
import type {DoctorOptions} from '../options.js';

function pointer(key: string): string {
	return `/metadata/annotations/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/**
 * `kubectl multus undo`: restores the rules a doctor run replaced, exactly as they were, from the role's
 * kubectl-multus.dev/previous-rules annotation. Refuses when the role changed since (unless --force).
 */
export async function runUndo(options: DoctorOptions): Promise<number> {
	const {kc} = loadKubeConfig(options.connection);
	const client = new KubeClient(kc);
	await client.serverVersion();
	const roles = (await client.listClusterRoles()).filter(role => readRecord(role));
	const wanted = roles.filter(role => {
		const daemonSet = readRecord(role)!.record.daemonSet;
		const [ns, name] = daemonSet.split('/');
		return (!options.connection.namespace || ns === options.connection.namespace) && (!options.daemonSet || name === options.daemonSet);
	});
	if (wanted.length === 0) {
		throw new MultusError('NotFound', 'no ClusterRole carries a kubectl-multus change record: there is nothing to undo', {
			hint: 'undo only reverts changes made by kubectl multus doctor (they are recorded in the kubectl-multus.dev/change annotation)',
		});
	}
	if (wanted.length > 1) {
		throw new MultusError('Usage', `several ClusterRoles were changed by kubectl multus: ${wanted.map(r => r.metadata?.name).join(', ')}`, {
			hint: 'pick one with -n NAMESPACE and/or --daemonset NAME (the DaemonSet each change was made for)',
		});
	}
	const role: V1ClusterRole = wanted[0]!;
	const name = role.metadata?.name ?? '';
	const {record, previousRules} = readRecord(role)!;
	const current = role.rules ?? [];
	// Compare as plain JSON: the client's model objects and the recorded ones differ only in prototype.
	const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
	const changedSince = !isDeepStrictEqual(plain(current), plain(record.rulesAfter));
	const report = {
		clusterRole: name,
		changedBy: record.by,
		changedAt: record.at,
		daemonSet: record.daemonSet,
		remove: record.added.map(describeRule),
		rulesNow: current,
		rulesRestored: previousRules,
		changedSince,
		applied: false,
	};
	const say = (text: string) => {
		if (options.output === 'text') process.stdout.write(text + '\n');
	};
	const finish = (code: number) => {
		if (options.output === 'json') process.stdout.write(JSON.stringify(report, null, 2) + '\n');
		if (options.output === 'yaml') process.stdout.write(stringify(report));
		return code;
	};
	say(`ClusterRole ${name} was changed by ${record.by} at ${record.at} for DaemonSet ${record.daemonSet}:`);
	for (const rule of record.added) say(`  - ${describeRule(rule)}`);
	if (changedSince && !options.force) {
		say('It has changed since (its rules are no longer exactly what kubectl multus left), so undo would lose that change.');
		throw new MultusError('Conflict', `ClusterRole ${name} changed after kubectl multus patched it; refusing to undo`, {
			hint: `compare with kubectl get clusterrole ${name} -o yaml and restore by hand, or pass --force to restore the recorded rules anyway`,
		});
	}
	if (options.check || options.dryRun !== 'none') {
		say('Nothing changed (--check/--dry-run).');
		return finish(ExitCode.ProblemFound);
	}
	let yes = options.yes;
	if (!yes && options.interactive) {
		const prompt = createInterface({input: process.stdin, output: process.stdout});
		yes = /^y(es)?$/i.test((await prompt.question(`Restore the previous rules of ClusterRole ${name}? [y/N] `)).trim());
		prompt.close();
	}
	if (!yes) {
		say(options.interactive ? 'Declined: nothing changed.' : 'Nothing changed: without a terminal, undo needs --yes.');
		return finish(ExitCode.ProblemFound);
	}
	const operations: JsonPatchOperation[] = [
		{op: 'test', path: '/metadata/resourceVersion', value: role.metadata?.resourceVersion ?? ''},
		...(options.force ? [] : [{op: 'test' as const, path: '/rules', value: current}]),
		{op: 'replace', path: '/rules', value: previousRules},
		{op: 'remove', path: pointer(previousRulesAnnotation)},
		{op: 'remove', path: pointer(changeAnnotation)},
	];
	await client.patchClusterRole(name, operations, false);
	report.applied = true;
	say(`Restored the previous rules of ClusterRole ${name}. The Multus pods are not restarted; a thick daemon will log the forbidden error again.`);
	return finish(ExitCode.Ok);
}
