const { table } = require('./config');

module.exports = { main: async () => ({ statusCode: 200, body: table }) };
