import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1ConfigMap} from '@kubernetes/client-node';
import {daemonLogSettings} from '../../../source/multus/discovery.js';

const configMap = (config: object | string, key = 'daemon-config.json'): V1ConfigMap => ({
	metadata: {name: 'multus-daemon-config'},
	data: {[key]: typeof config === 'string' ? config : JSON.stringify(config)},
});
const upstream = {chrootDir: '/hostroot', confDir: '/host/etc/cni/net.d', socketDir: '/host/run/multus/', cniVersion: '0.3.1', multusConfigFile: 'auto'};

describe('daemonLogSettings: do the daemon\'s own start-up lines reach its log?', () => {
	test('v4.1 and later manifests: logToStderr true, logLevel verbose: visible', () => {
		assert.deepEqual(daemonLogSettings([configMap({...upstream, logLevel: 'verbose', logToStderr: true})]), {startupLines: 'visible', source: 'ConfigMap multus-daemon-config (daemon-config.json)'});
		assert.equal(daemonLogSettings([configMap({...upstream, logLevel: 'debug', logToStderr: true})]).startupLines, 'visible');
	});
	test('the v4.0.2 manifest (no logToStderr): hidden, naming the setting', () => {
		const settings = daemonLogSettings([configMap({...upstream, logLevel: 'verbose'})]);
		assert.equal(settings.startupLines, 'hidden');
		assert.match(settings.why ?? '', /ConfigMap multus-daemon-config \(daemon-config\.json\) does not set "logToStderr": true/);
	});
	test('a logLevel below verbose, or none (multus starts at panic): hidden', () => {
		assert.match(daemonLogSettings([configMap({...upstream, logToStderr: true, logLevel: 'error'})]).why ?? '', /logLevel "error"/);
		assert.match(daemonLogSettings([configMap({...upstream, logToStderr: true})]).why ?? '', /none: panic/);
	});
	test('no daemon config among the ConfigMaps (a CNI config, a script, bad JSON): unknown', () => {
		assert.deepEqual(daemonLogSettings([configMap({cniVersion: '0.3.1', name: 'multus-cni-network', type: 'multus'}, 'cni-conf.json'), configMap('{not json'), configMap('#!/bin/sh', 'entrypoint.sh')]), {startupLines: 'unknown'});
		assert.deepEqual(daemonLogSettings([]), {startupLines: 'unknown'});
	});
});
