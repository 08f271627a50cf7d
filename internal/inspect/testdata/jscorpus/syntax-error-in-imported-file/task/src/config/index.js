module.exports = {
  table: 'orders',
  region: 'eu-west-1'
  retries: 3,
};
