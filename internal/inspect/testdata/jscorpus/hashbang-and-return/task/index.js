#!/usr/bin/env node
'use strict';
exports.handler = async () => ({ statusCode: 200 });
if (typeof exports.handler === 'function') return;
exports.handler = null;
