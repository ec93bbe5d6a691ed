# -*- coding: utf-8 -*-
# Python 3 only: a module whose file name, function name and class/method
# names are non-ASCII.  Imported by stacks.py on 3.x.


class Clase_ñ(object):
    def método_ü(self, lock):
        lock.acquire()  # BLOCK
        return 1


def función_ñ(lock):
    return Clase_ñ().método_ü(lock)
