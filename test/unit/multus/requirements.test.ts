import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1PolicyRule} from '@kubernetes/client-node';
import {missingRules, rulesCover} from '../../../source/multus/rbac.js';
import {advisoryRules, blockingRules, daemonInformers, requiredRules} from '../../../source/multus/requirements.js';
import {multusReleases, resolveRelease} from '../../../source/multus/versions.js';

const upstreamThinV43: V1PolicyRule[] = [
	{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*']},
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
	{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
];
const upstreamThickV41: V1PolicyRule[] = [
	upstreamThinV43[0]!,
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'list', 'update', 'watch']},
	upstreamThinV43[2]!,
];
const release = (tag: string) => resolveRelease(`ghcr.io/k8snetworkplumbingwg/multus-cni:${tag}`).release;
const podsListWatch = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};
const nadsListWatch = {apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['list', 'watch']};

describe('requiredRules', () => {
	test('thick with informers (v4.1 and later, snapshot): pods and NADs list and watch are blocking, each tied to its informer', () => {
		for (const tag of ['v4.1.4-thick', 'v4.2.4-thick', 'v4.3.0-thick', 'snapshot-thick']) {
			assert.deepEqual(blockingRules('thick', release(tag)), [podsListWatch, nadsListWatch], tag);
			const blocking = requiredRules('thick', release(tag)).filter(requirement => requirement.level === 'blocking');
			assert.deepEqual(blocking.map(requirement => requirement.informer), ['pod', 'net-attach-def']);
			assert.match(blocking[0]?.why ?? '', /pod informer lists and watches pods cluster-wide/);
			assert.deepEqual(daemonInformers('thick', release(tag)), ['pod', 'net-attach-def']);
		}
	});

	test('thick images before v4.1 run no informer: nothing is blocking, their get/update role is right', () => {
		for (const tag of ['v4.0.2-thick', 'v3.9.3-thick-amd64']) {
			assert.deepEqual(blockingRules('thick', release(tag)), [], tag);
			assert.deepEqual(daemonInformers('thick', release(tag)), []);
			assert.deepEqual(missingRules(upstreamThinV43, advisoryRules('thick', release(tag))), []);
		}
	});

	test('thick: what the daemon also uses is advisory; DRA reads only where the daemon has them (master)', () => {
		assert.deepEqual(advisoryRules('thick', release('v4.3.0-thick')), [
			{apiGroups: [''], resources: ['pods'], verbs: ['get']},
			{apiGroups: [''], resources: ['pods/status'], verbs: ['update']},
			{apiGroups: [''], resources: ['events'], verbs: ['create']},
			{apiGroups: [''], resources: ['events'], verbs: ['patch']},
		]);
		const master = advisoryRules('thick', release('snapshot-thick'));
		assert.ok(master.some(rule => rule.apiGroups?.[0] === 'resource.k8s.io' && rule.resources?.[0] === 'resourceslices'));
		assert.ok(!advisoryRules('thick', release('v4.3.0-thick')).some(rule => rule.apiGroups?.[0] === 'resource.k8s.io'));
	});

	test('thin: no informers, so nothing is blocking and list/watch is never asked for', () => {
		for (const tag of ['snapshot', 'v4.2.2', 'v3.9']) {
			assert.deepEqual(blockingRules('thin', release(tag)), []);
			assert.deepEqual(daemonInformers('thin', release(tag)), []);
			const rules = advisoryRules('thin', release(tag));
			assert.ok(rules.every(rule => !rule.verbs.includes('list') && !rule.verbs.includes('watch')));
			assert.deepEqual(missingRules(upstreamThinV43, rules), []);
		}
	});

	test('every requirement of every release is cluster-scoped, explained, and blocking comes first', () => {
		for (const known of multusReleases) {
			for (const mode of ['thick', 'thin'] as const) {
				const requirements = requiredRules(mode, known);
				const levels = requirements.map(requirement => requirement.level);
				const blockingCount = levels.filter(level => level === 'blocking').length;
				assert.ok(levels.slice(0, blockingCount).every(level => level === 'blocking'));
				for (const requirement of requirements) {
					assert.equal(requirement.scope, 'cluster');
					assert.ok(requirement.why.length > 0 && requirement.why.length <= 100, requirement.why);
				}
				assert.deepEqual([...blockingRules(mode, known), ...advisoryRules(mode, known)], requirements.map(requirement => requirement.rule));
			}
		}
	});

	test('the upstream thick manifests from v4.1 cover every requirement of the release they ship (master aside: DRA)', () => {
		for (const tag of ['v4.1.4', 'v4.2.4', 'v4.3.0']) {
			for (const requirement of requiredRules('thick', release(tag))) assert.ok(rulesCover(upstreamThickV41, requirement.rule), `${tag}: ${requirement.why}`);
		}
		// The v4.0.2 manifest running snapshot-thick (multus-cni #1185): both informers' list/watch on pods are missing.
		assert.deepEqual(missingRules(upstreamThinV43, blockingRules('thick', release('snapshot-thick'))), [podsListWatch]);
	});

	test('callers get fresh objects they may change', () => {
		const first = blockingRules('thick');
		first[0]?.verbs.push('delete');
		assert.deepEqual(blockingRules('thick')[0]?.verbs, ['list', 'watch']);
	});
});
