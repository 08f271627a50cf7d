import { join } from 'node:path';
module.exports.handler = async () => join('a', 'b');
