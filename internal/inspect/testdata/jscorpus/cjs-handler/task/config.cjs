exports.table = 'orders';
