# A module run imports one of the packages of module_utils first: from here on, the compiled code of the
# collection's module_utils is kept between runs (core/code_cache.py).
from ansible_collections.printfleet.canon.plugins.module_utils.core.code_cache import install as _install_code_cache

_install_code_cache()
