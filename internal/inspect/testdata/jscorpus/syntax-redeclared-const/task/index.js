const { Buffer } = require('node:buffer');
const Buffer = new Buffer(16);

exports.handler = async (event) => ({ statusCode: 200, body: String(Buffer.length) });
