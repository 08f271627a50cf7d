/******/ (() => { // webpackBootstrap
/******/ 	"use strict";
/******/ 	var __webpack_modules__ = ({

/***/ "./src/handler.ts":
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {

Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.handler = void 0;
const util_1 = __webpack_require__("./src/util.ts");
const handler = async (event) => {
    return { statusCode: 200, body: (0, util_1.greet)('x') };
};
exports.handler = handler;

/***/ }),

/***/ "./src/util.ts":
/***/ ((__unused_webpack_module, exports) => {

Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.greet = void 0;
const greet = (name) => `hello ${name}`;
exports.greet = greet;

/***/ })

/******/ 	});
/******/ 	// The module cache
/******/ 	var __webpack_module_cache__ = {};
/******/ 	function __webpack_require__(moduleId) {
/******/ 		var cachedModule = __webpack_module_cache__[moduleId];
/******/ 		if (cachedModule !== undefined) {
/******/ 			return cachedModule.exports;
/******/ 		}
/******/ 		var module = __webpack_module_cache__[moduleId] = {
/******/ 			exports: {}
/******/ 		};
/******/ 		__webpack_modules__[moduleId](module, module.exports, __webpack_require__);
/******/ 		return module.exports;
/******/ 	}
/******/ 	var __webpack_exports__ = __webpack_require__("./src/handler.ts");
/******/ 	module.exports = __webpack_exports__;
/******/ })()
;
