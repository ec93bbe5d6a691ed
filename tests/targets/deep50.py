# Generated once by hand-run script; kept literal so every frame has a real file and line.
# A chain of 50 distinct functions: f_01 calls f_02 ... f_50, which blocks on a lock.
# Python 2.7 - 3.13 compatible.


def f_01(lock):
    return f_02(lock)

def f_02(lock):
    return f_03(lock)

def f_03(lock):
    return f_04(lock)

def f_04(lock):
    return f_05(lock)

def f_05(lock):
    return f_06(lock)

def f_06(lock):
    return f_07(lock)

def f_07(lock):
    return f_08(lock)

def f_08(lock):
    return f_09(lock)

def f_09(lock):
    return f_10(lock)

def f_10(lock):
    return f_11(lock)

def f_11(lock):
    return f_12(lock)

def f_12(lock):
    return f_13(lock)

def f_13(lock):
    return f_14(lock)

def f_14(lock):
    return f_15(lock)

def f_15(lock):
    return f_16(lock)

def f_16(lock):
    return f_17(lock)

def f_17(lock):
    return f_18(lock)

def f_18(lock):
    return f_19(lock)

def f_19(lock):
    return f_20(lock)

def f_20(lock):
    return f_21(lock)

def f_21(lock):
    return f_22(lock)

def f_22(lock):
    return f_23(lock)

def f_23(lock):
    return f_24(lock)

def f_24(lock):
    return f_25(lock)

def f_25(lock):
    return f_26(lock)

def f_26(lock):
    return f_27(lock)

def f_27(lock):
    return f_28(lock)

def f_28(lock):
    return f_29(lock)

def f_29(lock):
    return f_30(lock)

def f_30(lock):
    return f_31(lock)

def f_31(lock):
    return f_32(lock)

def f_32(lock):
    return f_33(lock)

def f_33(lock):
    return f_34(lock)

def f_34(lock):
    return f_35(lock)

def f_35(lock):
    return f_36(lock)

def f_36(lock):
    return f_37(lock)

def f_37(lock):
    return f_38(lock)

def f_38(lock):
    return f_39(lock)

def f_39(lock):
    return f_40(lock)

def f_40(lock):
    return f_41(lock)

def f_41(lock):
    return f_42(lock)

def f_42(lock):
    return f_43(lock)

def f_43(lock):
    return f_44(lock)

def f_44(lock):
    return f_45(lock)

def f_45(lock):
    return f_46(lock)

def f_46(lock):
    return f_47(lock)

def f_47(lock):
    return f_48(lock)

def f_48(lock):
    return f_49(lock)

def f_49(lock):
    return f_50(lock)

def f_50(lock):
    lock.acquire()  # BLOCK
    return 50
