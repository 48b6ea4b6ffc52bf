import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1PolicyRule} from '@kubernetes/client-node';
import {missingRules, rulesCover} from '../../../source/multus/rbac.js';
import {advisoryRules, blockingRules, requiredRules} from '../../../source/multus/requirements.js';

const upstreamThinV43: V1PolicyRule[] = [
	{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*']},
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
	{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
];

describe('requiredRules', () => {
	test('thick: exactly pods list and watch are blocking', () => {
		assert.deepEqual(blockingRules('thick'), [{apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']}]);
		const blocking = requiredRules('thick').filter(requirement => requirement.level === 'blocking');
		assert.equal(blocking.length, 1);
		assert.match(blocking[0]?.why ?? '', /informer lists and watches pods cluster-wide/);
	});

	test('thick: what the daemon also uses is advisory', () => {
		assert.deepEqual(advisoryRules('thick'), [
			{apiGroups: [''], resources: ['pods'], verbs: ['get']},
			{apiGroups: [''], resources: ['pods/status'], verbs: ['update']},
			{apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['get', 'list', 'watch']},
			{apiGroups: [''], resources: ['events'], verbs: ['create']},
			{apiGroups: [''], resources: ['events'], verbs: ['patch']},
		]);
	});

	test('thin: no informers, so nothing is blocking and list/watch is never asked for', () => {
		assert.deepEqual(blockingRules('thin'), []);
		const rules = advisoryRules('thin');
		assert.ok(rules.every(rule => !rule.verbs.includes('list') && !rule.verbs.includes('watch')));
		assert.deepEqual(missingRules(upstreamThinV43, rules), []);
	});

	test('every requirement is cluster-scoped, explained, and blocking comes first', () => {
		for (const mode of ['thick', 'thin'] as const) {
			const requirements = requiredRules(mode);
			const levels = requirements.map(requirement => requirement.level);
			const blockingCount = levels.filter(level => level === 'blocking').length;
			assert.ok(levels.slice(0, blockingCount).every(level => level === 'blocking'));
			for (const requirement of requirements) {
				assert.equal(requirement.scope, 'cluster');
				assert.ok(requirement.why.length > 0 && requirement.why.length <= 100, requirement.why);
			}
		}
	});

	test('blocking and advisory partition the requirements', () => {
		for (const mode of ['thick', 'thin'] as const) {
			assert.deepEqual(
				[...blockingRules(mode), ...advisoryRules(mode)],
				requiredRules(mode).map(requirement => requirement.rule),
			);
		}
	});

	test('upstream thick v4.1 covers every thick requirement', () => {
		const v41: V1PolicyRule[] = [
			upstreamThinV43[0]!,
			{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'list', 'update', 'watch']},
			upstreamThinV43[2]!,
		];
		for (const requirement of requiredRules('thick')) assert.ok(rulesCover(v41, requirement.rule), requirement.why);
	});

	test('callers get fresh objects they may change', () => {
		const first = blockingRules('thick');
		first[0]?.verbs.push('delete');
		assert.deepEqual(blockingRules('thick')[0]?.verbs, ['list', 'watch']);
	});
});
