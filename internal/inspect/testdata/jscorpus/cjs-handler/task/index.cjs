const path = require('node:path');
const { table } = require('./config.cjs');

module.exports.handler = async () => ({ statusCode: 200, body: path.join(__dirname, table) });
