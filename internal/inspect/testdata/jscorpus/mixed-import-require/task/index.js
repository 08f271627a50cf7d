import { join } from 'node:path';
const fs = require('node:fs');

exports.handler = async () => ({ statusCode: 200, body: join('a', String(typeof fs)) });
