# PV for hdrnn's own recipes. The version has one source, __version__ in the Python
# package of the repository that holds this layer (HDRNN_SRCDIR); the native build gets
# it through -DHDRNN_VERSION. That file is outside the layer, so bitbake's parse cache
# would not see it change: these few recipes are parsed every time instead.

def hdrnn_version(d):
    import os
    path = os.path.join(d.getVar('HDRNN_SRCDIR'), 'python', 'src', 'hdrnn', '__init__.py')
    with open(path) as f:
        for line in f:
            if line.startswith('__version__ = '):
                return line.split('"')[1]
    bb.fatal('%s: no __version__ line' % path)

PV = "${@hdrnn_version(d)}"
BB_DONT_CACHE = "1"
